package embedded_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fealac/smegraph/internal/embedded"
	"github.com/fealac/smegraph/internal/readmodel"
	"github.com/fealac/smegraph/internal/seed"
	"github.com/fealac/smegraph/internal/server"
	"github.com/fealac/smegraph/internal/store"
)

// TestDataSurvivesRestart seeds a fresh embedded database, stops it, starts it again on the
// same files and reads the data back through the HTTP handler. Starting twice also proves
// that creating the indexes again is harmless.
func TestDataSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := context.Background()

	open := func() (*store.Store, func()) {
		srv, err := embedded.Start(dir, "127.0.0.1:0", logger)
		if err != nil {
			t.Fatal(err)
		}
		client, err := mongo.Connect(options.Client().ApplyURI(srv.URI()).SetTimeout(10 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		s := store.New(client, "restart")
		if err := s.Prepare(ctx); err != nil {
			t.Fatal(err)
		}
		return s, func() {
			if err := client.Disconnect(ctx); err != nil {
				t.Error(err)
			}
			if err := srv.Stop(ctx); err != nil {
				t.Error(err)
			}
		}
	}

	s, closeDB := open()
	if _, err := seed.Load(ctx, s, time.Now()); err != nil {
		t.Fatal(err)
	}
	closeDB()

	s, closeDB = open()
	defer closeDB()
	if empty, err := s.IsEmpty(ctx); err != nil || empty {
		t.Fatalf("after restart: empty=%v err=%v", empty, err)
	}
	m := readmodel.New(s, logger)
	if err := m.Load(ctx); err != nil {
		t.Fatal(err)
	}
	h := httptest.NewServer(server.New(s, m, logger))
	defer h.Close()
	resp, err := http.Post(h.URL+server.GraphQLPath, "application/json",
		strings.NewReader(`{"query":"{ countries { totalCount } agencies { totalCount } country(code: \"PE\") { agencies { url } } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := `{"data":{"countries":{"totalCount":36},"agencies":{"totalCount":18},"country":{"agencies":[{"url":"http://www.produce.gob.pe/index.php/ministerio/sector-mype-e-industria"}]}}}`
	if string(body) != want {
		t.Errorf("after restart:\n%s\nwant\n%s", body, want)
	}
}

// TestDatabaseOutage stops the database under a running handler: the process stays up,
// queries are still answered from the in-memory snapshot, /readyz turns 503 once the
// snapshot cannot be kept in step, and once the database is back (same address, same files)
// /readyz is 200 again within 5 s, without a restart of the handler or its client.
func TestDatabaseOutage(t *testing.T) {
	dir := t.TempDir()
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	db, err := embedded.Start(dir, addr, logger)
	if err != nil {
		t.Fatal(err)
	}
	client, err := mongo.Connect(options.Client().ApplyURI(db.URI()).SetTimeout(10 * time.Second).
		SetServerSelectionTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	s := store.New(client, "outage")
	if err := s.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Load(ctx, s, time.Now()); err != nil {
		t.Fatal(err)
	}
	m := readmodel.New(s, logger)
	follow, stop := context.WithCancel(ctx)
	defer stop()
	go m.Run(follow, readmodel.Options{Poll: 100 * time.Millisecond})
	o := server.Defaults()
	o.MaxStaleness = time.Second
	h := httptest.NewServer(server.NewWith(s, m, logger, o))
	defer h.Close()
	query := func() (int, string) {
		resp, err := http.Post(h.URL+server.GraphQLPath, "application/json", strings.NewReader(`{"query":"{ countries { totalCount } }"}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(body)
	}
	ready := func() int {
		resp, err := http.Get(h.URL + server.ReadyPath)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for start := time.Now(); ready() != http.StatusOK; time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatal("the read model did not load")
		}
	}
	if _, body := query(); !strings.Contains(body, `"totalCount":36`) {
		t.Fatalf("before: %s", body)
	}

	if err := db.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// Reads are answered from the snapshot during the outage; /readyz turns 503 once the
	// snapshot has gone MaxStaleness without being in step.
	start := time.Now()
	if _, body := query(); !strings.Contains(body, `"totalCount":36`) {
		t.Errorf("during the outage: %s", body)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a query during the outage took %s", d)
	}
	for ready() != http.StatusServiceUnavailable {
		if time.Since(start) > 5*time.Second {
			t.Fatal("/readyz still 200 5 s into the outage")
		}
		time.Sleep(100 * time.Millisecond)
	}

	db, err = embedded.Start(dir, addr, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Stop(ctx)
	back := time.Now()
	for ready() != http.StatusOK {
		if time.Since(back) > 5*time.Second {
			t.Fatalf("not recovered 5 s after the database came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("recovered %s after the database came back", time.Since(back).Round(time.Millisecond))
	if _, body := query(); !strings.Contains(body, `"totalCount":36`) {
		t.Errorf("after the outage: %s", body)
	}
}
