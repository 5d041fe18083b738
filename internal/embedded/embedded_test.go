package embedded_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fealac/smegraph/internal/embedded"
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
	h := httptest.NewServer(server.New(s, logger))
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
