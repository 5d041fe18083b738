package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fealac/smegraph/graph"
	"github.com/fealac/smegraph/internal/readmodel"
	"github.com/fealac/smegraph/internal/store"
)

// panicky is the real root resolver with a Query.country that panics.
type panicky struct{ *graph.Resolver }

func (p panicky) Query() graph.QueryResolver { return panickyQuery{p.Resolver.Query()} }

type panickyQuery struct{ graph.QueryResolver }

func (panickyQuery) Country(context.Context, string) (*store.Country, error) {
	var m map[string]int
	m["boom"]++ // a nil map write: a real runtime panic
	return nil, nil
}

// TestPanicRecovered checks that a panicking resolver yields an internal error without
// details, is logged with its stack, and that the server keeps serving.
func TestPanicRecovered(t *testing.T) {
	client, err := mongo.Connect(options.Client().ApplyURI("mongodb://127.0.0.1:1/"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(context.Background())
	s := store.New(client, "unused")
	var logs strings.Builder
	m := readmodel.Static(s, &store.Dataset{}, slog.New(slog.DiscardHandler))
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: panicky{&graph.Resolver{Store: s, Model: m}}})
	srv := httptest.NewServer(newHandler(schema, s, m, slog.New(slog.NewTextHandler(&logs, nil)), Defaults()))
	defer srv.Close()

	for range 2 { // the second request proves the server survived the first
		resp, err := http.Post(srv.URL+GraphQLPath, "application/json", strings.NewReader(`{"query":"{ country(code: \"PE\") { name } }"}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := `{"errors":[{"message":"internal error","path":["country"],"extensions":{"code":"INTERNAL_SERVER_ERROR"}}],"data":{"country":null}}`
		if string(body) != want {
			t.Errorf("body = %s\nwant   %s", body, want)
		}
	}
	if !strings.Contains(logs.String(), "assignment to entry in nil map") || !strings.Contains(logs.String(), "panicky") {
		t.Errorf("panic and stack not logged:\n%s", logs.String())
	}
}
