// Command bench measures smegraph on generated data: it loads the reference data plus N
// synthetic agencies into a fresh database (the embedded FerretDB, or MONGODB_URI when set),
// serves the real HTTP handler on loopback, drives each query with concurrent clients for a
// fixed time, and prints requests/s, p50 and p99 latency and MongoDB commands per request as
// a Markdown table.
//
//	go run ./scripts/bench -agencies 10000 -clients 4 -duration 10s
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fealac/smegraph/internal/embedded"
	"github.com/fealac/smegraph/internal/readmodel"
	"github.com/fealac/smegraph/internal/seed"
	"github.com/fealac/smegraph/internal/server"
	"github.com/fealac/smegraph/internal/store"
)

// dbName is the database the benchmark creates and drops.
const dbName = "smegraph_bench"

func main() {
	agencies := flag.Int("agencies", 10000, "synthetic agencies to add to the 18 real ones")
	clients := flag.Int("clients", 4, "concurrent clients per query")
	duration := flag.Duration("duration", 10*time.Second, "how long each query is driven")
	flag.Parse()
	if err := run(*agencies, *clients, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(agencies, clients int, duration time.Duration) error {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	uri, backend := os.Getenv("MONGODB_URI"), "MONGODB_URI"
	if uri == "" {
		dir, err := os.MkdirTemp("", "smegraph-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		emb, err := embedded.Start(dir, "127.0.0.1:0", logger)
		if err != nil {
			return err
		}
		defer emb.Stop(ctx)
		uri, backend = emb.URI(), "embedded FerretDB v1.24.2 (SQLite)"
	}

	var commands atomic.Int64
	monitor := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		if e.DatabaseName == dbName {
			commands.Add(1)
		}
	}}
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetMonitor(monitor).SetTimeout(time.Minute))
	if err != nil {
		return err
	}
	defer client.Disconnect(ctx)
	var info bson.M
	if err := client.Database("admin").RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err == nil {
		backend += fmt.Sprintf(", server reports version %v", info["version"])
	}

	s := store.New(client, dbName)
	if err := s.Drop(ctx); err != nil {
		return err
	}
	defer s.Drop(ctx)
	if err := s.Prepare(ctx); err != nil {
		return err
	}
	start := time.Now()
	if _, err := seed.Load(ctx, s, time.Now()); err != nil {
		return err
	}
	synthetic, err := seed.Synthetic(agencies)
	if err != nil {
		return err
	}
	if _, err := s.Apply(ctx, &store.Dataset{Agencies: synthetic}, time.Now()); err != nil {
		return err
	}
	loaded := time.Since(start)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	model := readmodel.New(s, slog.New(slog.DiscardHandler))
	if err := model.Load(ctx); err != nil {
		return err
	}
	srv := &http.Server{Handler: server.New(s, model, slog.New(slog.DiscardHandler))}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + server.GraphQLPath

	// Page 50, or the last page when there are fewer.
	lastPage := min(50, (agencies+18+19)/20)
	cursor, err := cursorOfPage(url, lastPage-1)
	if err != nil {
		return err
	}
	queries := []struct{ name, query string }{
		{"nested dashboard query", `{ groupings(first: 100) { nodes { slug members { name agencies { name country { name } } groupings { name } hostedMeetings { decisions { title meeting { city } } } } } } }`},
		{"search \"produce\" (all types)", `{ search(text: "produce", first: 20) { score node { ... on Agency { name } } } }`},
		{"filtered agencies (name contains, region)", `{ agencies(first: 20, filter: {name: {contains: "agency 12"}, region: {eq: "east-asia"}}) { totalCount nodes { name url } } }`},
		{"agencies page 1 by name", `{ agencies(first: 20, orderBy: [{field: NAME}]) { nodes { name } pageInfo { endCursor } } }`},
		{fmt.Sprintf("agencies page %d by name", lastPage), fmt.Sprintf(`{ agencies(first: 20, after: %q, orderBy: [{field: NAME}]) { nodes { name } pageInfo { endCursor } } }`, cursor)},
	}

	fmt.Printf("backend: %s; %d agencies (%d synthetic); %d clients × %s per query; loaded in %s\n\n",
		backend, agencies+18, agencies, clients, duration, loaded.Round(time.Millisecond))
	fmt.Println("| query | requests/s | p50 ms | p99 ms | MongoDB commands / request |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for _, q := range queries {
		if _, err := post(url, q.query); err != nil { // warm the query cache
			return fmt.Errorf("%s: %w", q.name, err)
		}
		commands.Store(0)
		lat, n, err := drive(url, q.query, clients, duration)
		if err != nil {
			return fmt.Errorf("%s: %w", q.name, err)
		}
		fmt.Printf("| %s | %.1f | %.1f | %.1f | %.1f |\n", q.name, float64(n)/duration.Seconds(),
			ms(percentile(lat, 50)), ms(percentile(lat, 99)), float64(commands.Load())/float64(n))
	}
	return nil
}

// drive sends query from clients goroutines until duration has passed and returns every
// request's latency.
func drive(url, query string, clients int, duration time.Duration) ([]time.Duration, int, error) {
	var (
		mu       sync.Mutex
		lat      []time.Duration
		firstErr error
		wg       sync.WaitGroup
	)
	deadline := time.Now().Add(duration)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				t0 := time.Now()
				_, err := post(url, query)
				d := time.Since(t0)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				lat = append(lat, d)
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return lat, len(lat), firstErr
}

// cursorOfPage walks pages of 20 agencies by name and returns the end cursor of page n.
func cursorOfPage(url string, n int) (string, error) {
	cursor := ""
	for range n {
		after := ""
		if cursor != "" {
			after = fmt.Sprintf(", after: %q", cursor)
		}
		body, err := post(url, fmt.Sprintf(`{ agencies(first: 20%s, orderBy: [{field: NAME}]) { pageInfo { endCursor } } }`, after))
		if err != nil {
			return "", err
		}
		var r struct {
			Data struct {
				Agencies struct{ PageInfo struct{ EndCursor string } }
			}
		}
		if err := json.Unmarshal(body, &r); err != nil {
			return "", err
		}
		cursor = r.Data.Agencies.PageInfo.EndCursor
	}
	return cursor, nil
}

// post sends one GraphQL query and fails on any GraphQL error.
func post(url, query string) ([]byte, error) {
	body, _ := json.Marshal(map[string]string{"query": query})
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || bytes.Contains(b, []byte(`"errors"`)) {
		return nil, fmt.Errorf("status %d: %.300s", resp.StatusCode, b)
	}
	return b, nil
}

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
