package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/fealac/smegraph/internal/seed"
	"github.com/fealac/smegraph/internal/server"
	"github.com/fealac/smegraph/internal/store"
	"github.com/fealac/smegraph/internal/testenv"
)

// The benchmarks report time, allocations and MongoDB commands per request, through the real
// HTTP handler (the client's encoding and decoding included). Reads come from the in-memory
// snapshot, so commands/op is 0; BENCHMARKS.md has the side-by-side throughput figures.

// BenchmarkDashboard measures the nested dashboard query on the shipped data, through the
// fast path and through gqlgen's executor.
func BenchmarkDashboard(b *testing.B) {
	e := testenv.Seeded(b)
	b.Run("fast", func(b *testing.B) { benchQuery(b, e.Unchecked(), dashboardQuery) })
	b.Run("gqlgen", func(b *testing.B) {
		o := server.Defaults()
		o.NoFastPath = true
		benchQuery(b, e.Serve(o), dashboardQuery)
	})
}

// BenchmarkSearch measures a search over every type and a filtered connection.
func BenchmarkSearch(b *testing.B) {
	e := testenv.Seeded(b)
	b.Run("search", func(b *testing.B) {
		benchQuery(b, e.Unchecked(), `{ search(text: "ministry", first: 20) { score node { ... on Agency { name } } } }`)
	})
	b.Run("filtered", func(b *testing.B) {
		benchQuery(b, e.Unchecked(), `{ countries(filter: {name: {contains: "a"}, grouping: {eq: "apec"}}, orderBy: [{field: NAME}]) { totalCount nodes { code } } }`)
	})
}

// BenchmarkAgencyPages measures pages 1 and 50 (20 agencies each, by name) of 10,000
// synthetic agencies plus the real ones.
func BenchmarkAgencyPages(b *testing.B) {
	e := testenv.Seeded(b)
	synthetic, err := seed.Synthetic(10_000)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.Store.Apply(context.Background(), &store.Dataset{Agencies: synthetic}, testenv.SeedTime); err != nil {
		b.Fatal(err)
	}
	const page = `{ agencies(first: 20, after: %s, orderBy: [{field: NAME}]) { nodes { name } pageInfo { endCursor } } }`
	cursor := "null"
	for range 49 {
		var r struct {
			Agencies struct{ PageInfo struct{ EndCursor string } }
		}
		e.Query(fmt.Sprintf(page, cursor), nil).MustData(b, &r)
		c, _ := json.Marshal(r.Agencies.PageInfo.EndCursor)
		cursor = string(c)
	}
	u := e.Unchecked()
	b.Run("page=1", func(b *testing.B) { benchQuery(b, u, fmt.Sprintf(page, "null")) })
	b.Run("page=50", func(b *testing.B) { benchQuery(b, u, fmt.Sprintf(page, cursor)) })
}

// benchQuery runs query b.N times through the HTTP handler and reports commands per request.
func benchQuery(b *testing.B, e *testenv.Env, query string) {
	b.Helper()
	b.ReportAllocs()
	e.ResetCommands()
	b.ResetTimer()
	for b.Loop() {
		if r := e.Query(query, nil); len(r.Errors) > 0 {
			b.Fatalf("errors: %s", r.Body)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(e.Commands()))/float64(b.N), "commands/op")
}
