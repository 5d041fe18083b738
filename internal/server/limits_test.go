package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/fealac/smegraph/internal/server"
	"github.com/fealac/smegraph/internal/store"
	"github.com/fealac/smegraph/internal/testenv"
)

// TestOperationLimits checks each limit with its own code, before any database work, with the
// defaults and with limits configured lower.
func TestOperationLimits(t *testing.T) {
	e := testenv.Seeded(t)
	deep := "{ country(code: \"PE\") { " + strings.Repeat("agencies { country { ", 6) + "code" + strings.Repeat(" } }", 6) + " } }"
	var aliases strings.Builder
	aliases.WriteString("{ country(code: \"PE\") { ")
	for i := range 51 {
		aliases.WriteString("a" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ": code ")
	}
	aliases.WriteString("} }")
	directives := `{ country(code: "PE") { code ` + strings.Repeat(`@include(if: true) `, 6) + `} }`
	for _, c := range []struct{ name, query, code string }{
		{"depth", deep, "DEPTH_LIMIT_EXCEEDED"},
		{"aliases", aliases.String(), "TOO_MANY_ALIASES"},
		{"directives", directives, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.ResetCommands()
			r := e.Query(c.query, nil)
			if c.code == "" {
				// Repeating a non-repeatable directive is a validation error already.
				if len(r.Errors) == 0 {
					t.Errorf("accepted: %.200s", r.Body)
				}
				return
			}
			if len(r.Errors) != 1 || r.Errors[0].Code() != c.code {
				t.Errorf("%.300s", r.Body)
			}
			if n := len(e.Commands()); n != 0 {
				t.Errorf("%d commands before the refusal", n)
			}
		})
	}

	o := server.Defaults()
	o.Limits.MaxDepth, o.Limits.MaxRootFields, o.Limits.MaxDirectivesPerField = 3, 2, 1
	strict := e.Serve(o)
	for q, code := range map[string]string{
		`{ country(code: "PE") { agencies { country { code } } } }`:                                           "DEPTH_LIMIT_EXCEEDED",
		`{ a: country(code: "PE") { code } b: country(code: "CL") { code } c: country(code: "AR") { code } }`: "TOO_MANY_ROOT_FIELDS",
		`query($y: Boolean!) { country(code: "PE") { code @include(if: $y) @skip(if: false) } }`:              "TOO_MANY_DIRECTIVES",
	} {
		r := strict.Query(q, map[string]any{"y": true})
		if len(r.Errors) != 1 || r.Errors[0].Code() != code {
			t.Errorf("%s: %.300s", q, r.Body)
		}
	}
	if r := strict.Query(`{ country(code: "PE") { agencies { url } } }`, nil); len(r.Errors) != 0 {
		t.Errorf("within the limits: %s", r.Body)
	}
}

// TestProductionMode checks that production turns off introspection and field suggestions.
func TestProductionMode(t *testing.T) {
	e := testenv.Seeded(t)
	if r := e.Query(`{ __schema { queryType { name } } }`, nil); len(r.Errors) != 0 {
		t.Errorf("development introspection: %s", r.Body)
	}
	if r := e.Query(`{ countrie { code } }`, nil); !strings.Contains(string(r.Body), "Did you mean") {
		t.Errorf("development suggestions: %s", r.Body)
	}
	prod := e.Serve(server.Defaults().Production())
	for _, q := range []string{`{ __schema { queryType { name } } }`, `{ __type(name: "Country") { name } }`} {
		if r := prod.Query(q, nil); len(r.Errors) != 1 || r.Errors[0].Code() != "INTROSPECTION_DISABLED" {
			t.Errorf("production introspection: %s", r.Body)
		}
	}
	for _, q := range []string{`{ countrie { code } }`, `{ countries(firs: 1) { totalCount } }`, `{ search(text: "a", types: [COUNTR]) { score } }`} {
		if r := prod.Query(q, nil); strings.Contains(string(r.Body), "Did you mean") || len(r.Errors) == 0 {
			t.Errorf("production suggestions: %s", r.Body)
		}
	}
	if r := prod.Query(`{ country(code: "PE") { name } }`, nil); string(r.Data) != `{"country":{"name":"Peru"}}` {
		t.Errorf("production query: %s", r.Body)
	}
}

// TestMetricsAndRequestIDs checks /metrics after a few requests and the request ID in the
// response header and the log lines.
func TestMetricsAndRequestIDs(t *testing.T) {
	e := testenv.Seeded(t)
	o := server.Defaults()
	o.Metrics = server.NewMetrics()
	// A client of its own, with the metrics' command monitor, as the server's has.
	client, err := mongo.Connect(options.Client().ApplyURI(testenv.URI).SetMonitor(o.Metrics.CommandMonitor()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	s := store.New(client, e.DB)
	if err := s.Prepare(t.Context()); err != nil {
		t.Fatal(err)
	}
	withMonitor := *e
	withMonitor.Store = s
	m := withMonitor.Serve(o)
	if r := m.Query(`query Dashboard `+dashboardQuery, nil); len(r.Errors) > 0 {
		t.Fatalf("%s", r.Body)
	}
	m.Query(`{ a: groupings(first:100){nodes{members{groupings{members{code}}}}} }`, nil)

	req, _ := http.NewRequest(http.MethodPost, m.Server.URL+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-ID", "trace-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-ID"); got != "trace-123" {
		t.Errorf("X-Request-ID = %q", got)
	}
	if !strings.Contains(m.Logs(), "request_id=trace-123") {
		t.Errorf("the request ID is not logged:\n%s", m.Logs())
	}
	resp, err = http.Get(m.Server.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(resp.Header.Get("X-Request-ID")) != 16 {
		t.Errorf("no generated request ID: %q", resp.Header.Get("X-Request-ID"))
	}

	resp, err = http.Get(m.Server.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`smegraph_requests_total{operation="Dashboard",outcome="ok"} 1`,
		`smegraph_limit_rejections_total{code="COMPLEXITY_LIMIT_EXCEEDED"} 1`,
		`smegraph_request_duration_seconds_bucket{operation="Dashboard"`,
		`smegraph_snapshot_generation `,
		`smegraph_snapshot_age_seconds `,
		`smegraph_snapshot_reloads_total 1`,
		`smegraph_mongodb_commands_total{command="find",outcome="ok"}`,
		`smegraph_mongodb_command_duration_seconds_bucket{command="find"`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestGraphQLOverHTTP checks the media types and status codes of the GraphQL-over-HTTP
// specification.
func TestGraphQLOverHTTP(t *testing.T) {
	e := testenv.Seeded(t)
	for _, c := range []struct {
		accept, contentType, body string
		status                    int
		media                     string
	}{
		{"", "application/json", `{"query":"{ country(code: \"PE\") { name } }"}`, 200, "application/json"},
		{"application/json", "application/json", `{"query":"{ nope }"}`, 200, "application/json"},
		{"application/json", "application/json", `{"query":"{ "}`, 200, "application/json"},
		{"application/graphql-response+json", "application/json", `{"query":"{ country(code: \"PE\") { name } }"}`, 200, "application/graphql-response+json"},
		{"application/graphql-response+json", "application/json", `{"query":"{ nope }"}`, 400, "application/graphql-response+json"},
		{"application/graphql-response+json, application/json;q=0.9", "application/json", `{"query":"{ "}`, 400, "application/graphql-response+json"},
		{"application/graphql-response+json", "text/plain", `{"query":"{ __typename }"}`, 415, "application/graphql-response+json"},
		{"application/graphql-response+json", "application/json", `[]`, 400, "application/graphql-response+json"},
	} {
		req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", strings.NewReader(c.body))
		req.Header.Set("Content-Type", c.contentType)
		if c.accept != "" {
			req.Header.Set("Accept", c.accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.media) {
			t.Errorf("Accept %q, %s: %d %s %s", c.accept, c.body, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
}

// TestCORS checks that no origin is allowed by default and a configured one is, preflight
// included.
func TestCORS(t *testing.T) {
	e := testenv.Seeded(t)
	preflight := func(env *testenv.Env, origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, env.Server.URL+"/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := preflight(e, "https://dash.example"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("an origin is allowed by default")
	}
	o := server.Defaults()
	o.CORSOrigins = server.ParseOrigins("https://dash.example/, https://other.example")
	c := e.Serve(o)
	if resp := preflight(c, "https://dash.example"); resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://dash.example" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := preflight(c, "https://evil.example"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("another origin is allowed")
	}
}

// TestPersistedQueriesAndCaching checks automatic persisted queries and HTTP caching of
// anonymous GET answers: Cache-Control, ETag and 304 on If-None-Match.
func TestPersistedQueriesAndCaching(t *testing.T) {
	e := testenv.Seeded(t)
	query := `{ country(code: "PE") { name } }`
	sum := sha256.Sum256([]byte(query))
	ext := `{"persistedQuery":{"version":1,"sha256Hash":"` + hex.EncodeToString(sum[:]) + `"}}`

	post := func(body string) *testenv.Response {
		resp, err := http.Post(e.Server.URL+"/graphql", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return testenv.Decode(t, resp)
	}
	if r := post(`{"extensions":` + ext + `}`); len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "PersistedQueryNotFound") {
		t.Errorf("unknown hash: %s", r.Body)
	}
	if r := post(`{"query":` + strconv.Quote(query) + `,"extensions":` + ext + `}`); string(r.Data) != `{"country":{"name":"Peru"}}` {
		t.Errorf("register: %s", r.Body)
	}
	get := func(etag, auth string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodGet, e.Server.URL+"/graphql?extensions="+url.QueryEscape(ext), nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(body)
	}
	resp, body := get("", "")
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || body != `{"data":{"country":{"name":"Peru"}}}` || etag == "" || resp.Header.Get("Cache-Control") != "public, max-age=60" {
		t.Errorf("GET by hash: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	if resp, body = get(etag, ""); resp.StatusCode != http.StatusNotModified || body != "" {
		t.Errorf("If-None-Match: %d %q", resp.StatusCode, body)
	}
	if resp, _ = get("", "Bearer smg_x"); strings.Contains(resp.Header.Get("Cache-Control"), "public") {
		t.Errorf("a request with credentials is cacheable: %v", resp.Header)
	}
	if !strings.Contains(resp.Header.Get("Vary"), "Accept") {
		t.Errorf("Vary = %q", resp.Header.Get("Vary"))
	}
	// Another media type is another representation, with another ETag.
	req, _ := http.NewRequest(http.MethodGet, e.Server.URL+"/graphql?extensions="+url.QueryEscape(ext), nil)
	req.Header.Set("Accept", "application/graphql-response+json")
	req.Header.Set("If-None-Match", etag)
	other, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	other.Body.Close()
	if other.StatusCode != 200 || other.Header.Get("ETag") == etag {
		t.Errorf("graphql-response+json: %d, ETag %s", other.StatusCode, other.Header.Get("ETag"))
	}
	if r := post(`{"query":"{ __typename }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"abc"}}}`); len(r.Errors) != 1 || r.Errors[0].Code() == "" {
		t.Errorf("APQ hash mismatch: %s", r.Body)
	}
}

// TestIDEOffline checks that the IDE page loads nothing from outside the server and that the
// files it loads are served with the integrity hashes the page names.
func TestIDEOffline(t *testing.T) {
	e := testenv.New(t)
	resp, err := http.Get(e.Server.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"\s+integrity="([^"]+)"`).FindAllStringSubmatch(string(page), -1)
	if len(refs) != 4 || strings.Contains(string(page), "https://") || strings.Contains(string(page), "cdn.") {
		t.Fatalf("the page loads %d files, or something from outside:\n%s", len(refs), page)
	}
	for _, ref := range refs {
		resp, err := http.Get(e.Server.URL + ref[1])
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		sum := sha256.Sum256(body)
		if resp.StatusCode != 200 || "sha256-"+base64.StdEncoding.EncodeToString(sum[:]) != html.UnescapeString(ref[2]) {
			t.Errorf("%s: %d, integrity %s", ref[1], resp.StatusCode, ref[2])
		}
	}
}

// TestFederation checks the subgraph: _service { sdl } with the @key types, _entities
// resolved from the snapshot (ten representations of two types cost no command), clear
// errors and nulls for bad representations, and production refusing the fields unless
// federation is on.
func TestFederation(t *testing.T) {
	e := testenv.Seeded(t)
	var sdl struct {
		Service struct{ SDL string } `json:"_service"`
	}
	e.Query(`{ _service { sdl } }`, nil).MustData(t, &sdl)
	for _, want := range []string{`type Country implements Node @key(fields: "code") @key(fields: "id")`, `type Agency implements Node @key(fields: "id")`} {
		if !strings.Contains(sdl.Service.SDL, want) {
			t.Errorf("sdl lacks %s", want)
		}
	}

	reps := []map[string]any{}
	for _, c := range []string{"PE", "CL", "AR", "BR", "MX", "CO", "JP"} {
		reps = append(reps, map[string]any{"__typename": "Country", "code": c})
	}
	for _, id := range []string{"QWdlbmN5OkFHLVBF", "QWdlbmN5OkFHLUNP", "QWdlbmN5OkFHLU1Y"} {
		reps = append(reps, map[string]any{"__typename": "Agency", "id": id})
	}
	e.ResetCommands()
	r := e.Query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Country { code name } ... on Agency { acronym } } }`, map[string]any{"r": reps})
	want := `{"_entities":[{"code":"PE","name":"Peru"},{"code":"CL","name":"Chile"},{"code":"AR","name":"Argentina"},{"code":"BR","name":"Brazil"},` +
		`{"code":"MX","name":"Mexico"},{"code":"CO","name":"Colombia"},{"code":"JP","name":"Japan"},{"acronym":"PRODUCE"},{"acronym":"MinCIT"},{"acronym":"SE"}]}`
	if len(r.Errors) > 0 || string(r.Data) != want {
		t.Errorf("_entities:\n%s\nwant %s", r.Body, want)
	}
	if n := len(e.Commands()); n != 0 {
		t.Errorf("10 representations of 2 types cost %d commands: %v", n, e.Commands())
	}

	bad := []map[string]any{
		{"__typename": "Country", "code": "XX"},
		{"__typename": "Agency", "id": "not-an-id"},
		{"__typename": "Country", "code": "PE"},
	}
	r = e.Query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Country { code } } }`, map[string]any{"r": bad})
	testenv.LeakCheck(t, r.Body)
	if !strings.Contains(string(r.Data), `{"code":"PE"}`) || len(r.Errors) < 2 {
		t.Errorf("bad representations: %s", r.Body)
	}
	for q, want := range map[string]map[string]any{
		`"Nope" is not an entity type`:                      {"__typename": "Nope", "id": "x"},
		"a representation of Agency lacks its key field id": {"__typename": "Agency"},
		"a representation lacks its __typename":             {"id": "x"},
	} {
		r = e.Query(`query($r: [_Any!]!) { _entities(representations: $r) { __typename } }`, map[string]any{"r": []any{want}})
		testenv.LeakCheck(t, r.Body)
		if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, q) || r.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Errorf("%v: %s", want, r.Body)
		}
	}

	prod := e.Serve(server.Defaults().Production())
	if r := prod.Query(`{ _service { sdl } }`, nil); len(r.Errors) != 1 || r.Errors[0].Code() != "FEDERATION_DISABLED" {
		t.Errorf("production _service: %.300s", r.Body)
	}
	o := server.Defaults().Production()
	o.Federation = true
	if r := e.Serve(o).Query(`{ _service { sdl } }`, nil); len(r.Errors) != 0 {
		t.Errorf("production with federation: %.300s", r.Body)
	}
}

// TestTracing checks the operation and resolver-field spans of a query.
func TestTracing(t *testing.T) {
	e := testenv.Seeded(t)
	exp := tracetest.NewInMemoryExporter()
	o := server.Defaults()
	o.Tracer = sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	traced := e.Serve(o)
	traced.Query(`query Peru { country(code: "PE") { name agencies { url } } }`, nil).MustData(t, &struct{}{})
	var names []string
	for _, s := range exp.GetSpans() {
		names = append(names, s.Name)
	}
	for _, want := range []string{"graphql.operation Peru", "graphql.field Query.country", "graphql.field Country.agencies", "graphql.field Country.name"} {
		if !slices.Contains(names, want) {
			t.Errorf("no span %q in %v", want, names)
		}
	}
}

// TestCancelledRequest checks that a request its client abandons does not disturb others.
func TestCancelledRequest(t *testing.T) {
	e := testenv.Seeded(t)
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 { // abandoned mid-flight
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i)*time.Millisecond)
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.Server.URL+"/graphql", strings.NewReader(`{"query":"`+strings.ReplaceAll(dashboardQuery, `"`, `\"`)+`"}`))
				req.Header.Set("Content-Type", "application/json")
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
				return
			}
			if r := e.Query(dashboardQuery, nil); len(r.Errors) > 0 {
				t.Errorf("a request beside abandoned ones failed: %.300s", r.Body)
			}
		}()
	}
	wg.Wait()
}
