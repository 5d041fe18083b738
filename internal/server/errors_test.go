package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fealac/smegraph/internal/readmodel"
	"github.com/fealac/smegraph/internal/server"
	"github.com/fealac/smegraph/internal/store"
	"github.com/fealac/smegraph/internal/testenv"
)

// TestBadArguments checks that each kind of bad argument is BAD_USER_INPUT, names the
// argument in the message and in extensions.argument, and leaks nothing.
func TestBadArguments(t *testing.T) {
	e := testenv.Seeded(t)
	var page struct {
		Meetings struct{ PageInfo struct{ EndCursor string } }
	}
	e.Query(`{ meetings(first: 2) { pageInfo { endCursor } } }`, nil).MustData(t, &page)
	meetingCursor := page.Meetings.PageInfo.EndCursor

	cases := []struct {
		name, query, arg string
	}{
		{"malformed agency ID", `{ agency(id: "!!!") { id } }`, "id"},
		{"malformed meeting ID", `{ meeting(id: "bm90LWFuLWlk") { id } }`, "id"},
		{"ID of another type", `{ meeting(id: "Q291bnRyeTpQRQ") { id } }`, "id"},
		{"malformed node ID", `{ node(id: "%%%") { id } }`, "id"},
		{"malformed ID in nodes", `{ nodes(ids: ["Q291bnRyeTpQRQ", "bad"]) { id } }`, "ids"},
		{"first over 100", `{ countries(first: 101) { totalCount } }`, "first"},
		{"negative first", `{ agencies(first: -1) { totalCount } }`, "first"},
		{"last over 100", `{ meetings(last: 1000) { totalCount } }`, "last"},
		{"first and last", `{ decisions(first: 1, last: 1) { totalCount } }`, "last"},
		{"lang not BCP-47", `{ country(code: "PE") { name(lang: "not a tag!!") } }`, "lang"},
		{"lang on agency", `{ agencies(first: 1) { nodes { name(lang: "12345") } } }`, "lang"},
		{"cursor not base64", `{ countries(after: "%%%") { totalCount } }`, "after"},
		{"cursor not a cursor", `{ countries(before: "enp6") { totalCount } }`, "before"},
		{"cursor of another connection", `{ countries(after: "` + meetingCursor + `") { totalCount } }`, "after"},
		{"tampered cursor", `{ meetings(after: "` + meetingCursor[:len(meetingCursor)-3] + `AAA") { totalCount } }`, "after"},
		{"asOf not a date", `{ grouping(slug: "mercosur") { memberCount(asOf: "2024-13-01") } }`, "asOf"},
		{"asOf not a string", `{ grouping(slug: "mercosur") { members(asOf: 20240101) { code } } }`, "asOf"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Query(c.query, nil)
			testenv.LeakCheck(t, r.Body)
			if len(r.Errors) != 1 {
				t.Fatalf("want one error: %s", r.Body)
			}
			err := r.Errors[0]
			if err.Code() != "BAD_USER_INPUT" && err.Code() != "GRAPHQL_VALIDATION_FAILED" {
				t.Errorf("code %q: %s", err.Code(), r.Body)
			}
			if !strings.Contains(err.Message, c.arg) {
				t.Errorf("message %q does not name %q", err.Message, c.arg)
			}
			if err.Code() == "BAD_USER_INPUT" && err.Extensions["argument"] != c.arg {
				t.Errorf("extensions.argument = %v, want %q", err.Extensions["argument"], c.arg)
			}
		})
	}
}

// TestDatabaseDown checks that a database that never answers gives a generic message with a
// stable code, the cause only in the log, and /readyz 503.
func TestDatabaseDown(t *testing.T) {
	// A client whose server never answers: nothing listens on port 1.
	client, err := mongo.Connect(options.Client().ApplyURI("mongodb://127.0.0.1:1/").
		SetServerSelectionTimeout(300 * time.Millisecond).SetConnectTimeout(300 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	var logs testenv.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	s := store.New(client, "down")
	m := readmodel.New(s, logger)
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	go m.Run(ctx, readmodel.Options{Poll: 50 * time.Millisecond})
	srv := httptest.NewServer(server.New(s, m, logger))
	t.Cleanup(srv.Close)

	resp, err := http.Post(srv.URL+"/graphql", "application/json",
		strings.NewReader(`{"query":"{ country(code: \"PE\") { name } countries { totalCount } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	r := testenv.Decode(t, resp)
	testenv.LeakCheck(t, r.Body)
	if len(r.Errors) == 0 {
		t.Fatalf("no error: %s", r.Body)
	}
	// The reference data never loads: every read says so, with the code of an unavailable
	// database, and the process keeps retrying the load, logging the cause.
	for _, e := range r.Errors {
		if e.Code() != "DATABASE_UNAVAILABLE" || e.Message != readmodel.ErrNotLoaded.Message {
			t.Errorf("error %+v", e)
		}
	}
	for start := time.Now(); !strings.Contains(logs.String(), "server selection"); time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("the cause is not logged:\n%s", logs.String())
		}
	}

	resp, err = http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d, want 503", resp.StatusCode)
	}
}
