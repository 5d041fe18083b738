// Package testenv gives each test its own database on a real server and the real HTTP
// handler over it.
//
// The server is MongoDB at MONGODB_URI when that is set, otherwise one embedded FerretDB per
// test binary (SQLite files in a temporary directory). Each test gets a database named after
// it, dropped when the test passes and kept for inspection when it fails. A command monitor
// counts the commands sent to each test's database.
package testenv

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fealac/smegraph/graph"
	"github.com/fealac/smegraph/internal/embedded"
	"github.com/fealac/smegraph/internal/readmodel"
	"github.com/fealac/smegraph/internal/seed"
	"github.com/fealac/smegraph/internal/server"
	"github.com/fealac/smegraph/internal/store"
)

// SyncInterval is how often an Env's read model polls the change feed.
const SyncInterval = 50 * time.Millisecond

// SeedTime is the UpdatedAt of seeded documents in tests, so responses are reproducible.
var SeedTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

var (
	// URI is the mongodb:// URI of the test server.
	URI      string
	client   *mongo.Client
	counters sync.Map // database name → *counter
)

type counter struct {
	mu   sync.Mutex
	cmds []string
	docs []bson.Raw
}

// Run starts the database server, runs the tests and stops the server; use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }
func Run(m *testing.M) int {
	uri := os.Getenv("MONGODB_URI")
	var emb *embedded.Server
	var dir string
	if uri == "" {
		var err error
		if dir, err = os.MkdirTemp("", "smegraph-test-"); err != nil {
			fmt.Fprintln(os.Stderr, "testenv:", err)
			return 1
		}
		// The same layout as the server's data directory, so `smegraph --data-dir DIR` can
		// open what a failed run keeps.
		emb, err = embedded.Start(filepath.Join(dir, "ferretdb"), "127.0.0.1:0", slog.New(slog.NewTextHandler(os.Stderr, nil)))
		if err != nil {
			fmt.Fprintln(os.Stderr, "testenv:", err)
			return 1
		}
		uri = emb.URI()
	}
	URI = uri
	// The read model's own polls are background work, not the test's.
	monitor := &event.CommandMonitor{Started: func(ctx context.Context, e *event.CommandStartedEvent) {
		if readmodel.Following(ctx) {
			return
		}
		if c, ok := counters.Load(e.DatabaseName); ok {
			c := c.(*counter)
			c.mu.Lock()
			c.cmds = append(c.cmds, e.CommandName)
			c.docs = append(c.docs, append(bson.Raw(nil), e.Command...))
			c.mu.Unlock()
		}
	}}
	var err error
	client, err = mongo.Connect(options.Client().ApplyURI(uri).SetMonitor(monitor).SetTimeout(30 * time.Second))
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	code := m.Run()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = client.Disconnect(ctx) // clients first, then the server they talk to
	if emb != nil {
		_ = emb.Stop(ctx)
		if code == 0 {
			_ = os.RemoveAll(dir)
		} else {
			fmt.Fprintf(os.Stderr, "testenv: the embedded database's files, with each failed test's database, are kept in %s\n", dir)
		}
	}
	return code
}

// Env is one test's database, store and HTTP server.
type Env struct {
	t     testing.TB
	DB    string
	Store *store.Store
	// Model is the read model the Server answers from, loaded and following the database
	// (polling every SyncInterval).
	Model  *readmodel.Model
	Server *httptest.Server
	logs   *Buffer
	fast   *atomic.Int64
	count  *counter
}

// New returns an Env with an empty database (indexes created) and the real handler over it.
func New(t testing.TB) *Env {
	t.Helper()
	if client == nil {
		t.Fatal("testenv: call testenv.Run from TestMain")
	}
	e := &Env{t: t, DB: DBName(t.Name()), logs: &Buffer{}, count: &counter{}, fast: &atomic.Int64{}}
	counters.Store(e.DB, e.count)
	e.Store = store.New(client, e.DB)
	ctx := context.Background()
	// A database kept from an earlier failed run of the same test is replaced.
	if err := e.Store.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	// Every line goes to Logs; the test's output shows warnings and errors only.
	logger := slog.New(slog.NewMultiHandler(
		slog.NewTextHandler(e.logs, nil),
		slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}),
	))
	e.Model = readmodel.New(e.Store, logger)
	if err := e.Model.Load(ctx); err != nil {
		t.Fatal(err)
	}
	follow, stop := context.WithCancel(context.Background())
	go e.Model.Run(follow, readmodel.Options{Poll: SyncInterval})
	o := server.Defaults()
	o.FastPathCheck = e.fastPathCheck
	e.Server = httptest.NewServer(server.NewWith(e.Store, e.Model, logger, o))
	t.Cleanup(func() {
		e.Server.Close()
		stop()
		counters.Delete(e.DB)
		if t.Failed() {
			t.Logf("database %s kept for inspection", e.DB)
			return
		}
		if err := e.Store.Drop(context.Background()); err != nil {
			t.Errorf("drop %s: %v", e.DB, err)
		}
	})
	return e
}

// fastPathCheck fails the test when the fast path answers a query otherwise than gqlgen's
// executor: every query of every test that the fast path answers is answered both ways.
func (e *Env) fastPathCheck(query string, fast, gqlgen []byte) {
	e.fast.Add(1)
	if !graph.SameJSON(fast, gqlgen) {
		e.t.Errorf("the fast path answers\n%s\nwith\n%.2000s\nbut gqlgen with\n%.2000s", query, fast, gqlgen)
	}
}

// FastAnswers returns how many queries the fast path has answered (each checked against
// gqlgen's executor).
func (e *Env) FastAnswers() int64 { return e.fast.Load() }

// Seeded returns an Env whose database holds the shipped reference data.
func Seeded(t testing.TB) *Env {
	t.Helper()
	e := New(t)
	if _, err := seed.Load(context.Background(), e.Store, SeedTime); err != nil {
		t.Fatal(err)
	}
	e.ResetCommands()
	return e
}

// DBName turns a test name into a database name: letters, digits, _ and -, at most 63
// characters (a hash keeps long names distinct).
func DBName(testName string) string {
	name := regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(testName, "_")
	if len(name) > 63 {
		sum := sha256.Sum256([]byte(testName))
		name = name[:50] + "_" + hex.EncodeToString(sum[:])[:12]
	}
	return name
}

// Commands returns the names of the commands sent to the Env's database since the last
// ResetCommands, by requests and by the test itself (not the read model's background polls).
func (e *Env) Commands() []string {
	e.count.mu.Lock()
	defer e.count.mu.Unlock()
	return append([]string(nil), e.count.cmds...)
}

// CommandDocs returns the commands sent to the Env's database since the last ResetCommands,
// as the driver sent them.
func (e *Env) CommandDocs() []bson.Raw {
	e.count.mu.Lock()
	defer e.count.mu.Unlock()
	return append([]bson.Raw(nil), e.count.docs...)
}

// ResetCommands forgets the commands counted so far.
func (e *Env) ResetCommands() {
	e.count.mu.Lock()
	e.count.cmds, e.count.docs = nil, nil
	e.count.mu.Unlock()
}

// Logs returns everything the handler logged.
func (e *Env) Logs() string { return e.logs.String() }

// Response is a decoded GraphQL response.
type Response struct {
	Status int             `json:"-"`
	Body   []byte          `json:"-"`
	Data   json.RawMessage `json:"data"`
	Errors []Error         `json:"errors"`
}

// Error is one GraphQL error of a Response.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns the error's extensions.code.
func (e Error) Code() string { s, _ := e.Extensions["code"].(string); return s }

// Query POSTs a GraphQL query with variables (may be nil) to the Env's server.
func (e *Env) Query(query string, vars map[string]any) *Response {
	e.t.Helper()
	return e.QueryAs("", query, vars)
}

// QueryAs is Query with "Authorization: Bearer token" (none when token is "").
func (e *Env) QueryAs(token, query string, vars map[string]any) *Response {
	e.t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		e.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, e.Server.URL+server.GraphQLPath, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return Decode(e.t, resp)
}

// Token creates a token with the given role and countries and returns its secret.
func (e *Env) Token(name, role string, countries ...string) string {
	e.t.Helper()
	secret, err := e.Store.CreateToken(context.Background(), name, role, countries, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// Decode reads a GraphQL HTTP response.
func Decode(t testing.TB, resp *http.Response) *Response {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := &Response{Status: resp.StatusCode, Body: b}
	if err := json.Unmarshal(b, r); err != nil {
		t.Fatalf("response is not JSON (status %d): %s", resp.StatusCode, b)
	}
	return r
}

// MustData fails the test when the response has errors, and decodes its data into v.
func (r *Response) MustData(t testing.TB, v any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %s", r.Body)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data: %v: %s", err, r.Data)
	}
}

// LeakCheck fails the test when body carries text that must never reach a client: driver
// messages, Go type names, stack traces.
func LeakCheck(t testing.TB, body []byte) {
	t.Helper()
	for _, bad := range []string{"mongo", "bson", "driver", "goroutine", "panic", ".go:", "*store.", "runtime error", "connection(", "server selection"} {
		if strings.Contains(strings.ToLower(string(body)), bad) {
			t.Errorf("response leaks %q: %s", bad, body)
		}
	}
}

// Buffer is a bytes.Buffer safe for concurrent writers and readers (a logger's output that a
// test reads).
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Client returns the test binary's MongoDB client.
func Client() *mongo.Client { return client }

// Serve starts another HTTP server over the Env's store with options o, closed at the end of
// the test, and returns an Env that queries it.
func (e *Env) Serve(o server.Options) *Env {
	other := *e
	if o.FastPathCheck == nil && !o.NoFastPath {
		o.FastPathCheck = e.fastPathCheck
	}
	other.Server = httptest.NewServer(server.NewWith(e.Store, e.Model, slog.New(slog.NewTextHandler(e.logs, nil)), o))
	e.t.Cleanup(other.Server.Close)
	return &other
}

// Unchecked returns an Env that queries a server with the default options whose fast path
// answers without being checked against gqlgen's executor (benchmarks).
func (e *Env) Unchecked() *Env {
	other := *e
	other.Server = httptest.NewServer(server.New(e.Store, e.Model, slog.New(slog.NewTextHandler(e.logs, nil))))
	e.t.Cleanup(other.Server.Close)
	return &other
}
