package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/fealac/smegraph/internal/server"
	"github.com/fealac/smegraph/internal/testenv"
)

// TestFastPath checks that the common read queries are answered by the fast path, and
// answered exactly as gqlgen's executor answers them (testenv runs each query both ways and
// fails the test on a difference): aliases, fragments, __typename, @skip/@include,
// variables, lang and Accept-Language, asOf, nulls, every connection field and ordering.
// Queries the fast path does not take (filters, unknown fields, bad arguments) still answer
// through gqlgen.
func TestFastPath(t *testing.T) {
	e := testenv.Seeded(t)
	taken := []struct {
		name, query string
		vars        map[string]any
	}{
		{"dashboard", dashboardQuery, nil},
		{"bench dashboard", `query Dashboard { groupings(first: 100) { totalCount nodes { slug name kind members { code name
			agencies { name url country { name } } groupings { name } hostedMeetings { number city decisions { title meeting { city } } } } } } }`, nil},
		{"aliases and typename", `{ a: country(code: "PE") { __typename c: code n: name es: name(lang: "es") } b: country(code: "xx") { code } }`, nil},
		{"fragments", `query { grouping(slug: "MERCOSUR") { ...G children { ...G } parent { slug } } } fragment G on Grouping { id slug name acronym kind memberCount }`, nil},
		{"inline fragments", `{ country(code: "jpn") { ... on Country { code ... on Country { alpha3 numeric } } } }`, nil},
		{"skip and include", `query($yes: Boolean!) { country(code: "392") { code @include(if: $yes) name @skip(if: $yes) isoName @skip(if: false) } }`, map[string]any{"yes": true}},
		{"variables", `query($c: String!, $l: String, $d: Date) { country(code: $c) { name(lang: $l) groupings(asOf: $d) { slug } } }`,
			map[string]any{"c": "BR", "l": "pt", "d": "2000-01-01"}},
		{"asOf", `{ grouping(slug: "mercosur") { members(asOf: "2020-01-01") { code } memberCount(asOf: "2025-01-01") a: members { code } } }`, nil},
		{"connections", `{ countries(first: 3, after: null) { totalCount edges { cursor node { code } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }
			agencies(last: 2, orderBy: [{field: NAME, direction: DESC}, {field: COUNTRY}]) { nodes { id name acronym kind url updatedAt } pageInfo { startCursor endCursor } } }`, nil},
		{"empty page", `{ agencies(first: 0) { nodes { id } pageInfo { startCursor endCursor hasNextPage } } }`, nil},
		{"meetings and decisions", `{ country(code: "CL") { hostedMeetings { id kind number title city year startDate endDate host { code } coChairs { code }
			decisions { id title kind summary groupings { slug } countries { code } meeting { number } } } region { slug parent { slug } } } }`, nil},
		{"nameless agency", `{ country(code: "AR") { agencies { id name acronym } } }`, nil},
	}
	for _, q := range taken {
		before := e.FastAnswers()
		if r := e.Query(q.query, q.vars); len(r.Errors) > 0 {
			t.Errorf("%s: %s", q.name, r.Body)
		}
		if e.FastAnswers() == before {
			t.Errorf("%s: not answered by the fast path", q.name)
		}
	}

	// Accept-Language reaches the fast path's names as it reaches the resolvers'.
	body, _ := json.Marshal(map[string]any{"query": `{ country(code: "MX") { name region { name } } }`})
	req, _ := http.NewRequest(http.MethodPost, e.Server.URL+server.GraphQLPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", "es-419, en;q=0.5")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if r := testenv.Decode(t, resp); string(r.Data) != `{"country":{"name":"México","region":{"name":"América Latina"}}}` {
		t.Errorf("Accept-Language: %s", r.Body)
	}

	// What the fast path does not take is still answered, by gqlgen.
	for _, q := range []string{
		`{ countries(filter: {name: {contains: "a"}}) { totalCount } }`,
		`{ country(code: "PE") { memberships { status } sources { title } } }`,
		`{ country(code: "PE") { name(lang: "not a tag!") } }`,
		`{ agencies(first: 1000) { totalCount } }`,
		`{ agencies(after: "bogus") { totalCount } }`,
		`{ grouping(slug: "fealac") { members(asOf: "2020-13-01") { code } } }`,
	} {
		before := e.FastAnswers()
		r := e.Query(q, nil)
		if e.FastAnswers() != before {
			t.Errorf("the fast path answered %s", q)
		}
		if len(r.Errors) == 0 && len(r.Data) == 0 {
			t.Errorf("%s: no answer: %s", q, r.Body)
		}
	}
}
