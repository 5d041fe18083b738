package server_test

import (
	"strings"
	"testing"

	"github.com/fealac/smegraph/internal/testenv"
)

// TestHostileKinds keeps the remaining kinds of odd input as tests: Ints beyond 32 bits or as
// strings, null inside a non-null list, and directives and fragments on the search union.
func TestHostileKinds(t *testing.T) {
	e := testenv.Seeded(t)
	for _, c := range []struct {
		query string
		vars  map[string]any
		want  string
	}{
		{`{ meetings(filter: {yearFrom: 2147483648}) { totalCount } }`, nil, "BAD_USER_INPUT"},
		{`query($y: Int) { meetings(filter: {yearFrom: $y}) { totalCount } }`, map[string]any{"y": "2010"}, "BAD_USER_INPUT"},
		{`query($y: Int) { meetings(filter: {yearFrom: $y}) { totalCount } }`, map[string]any{"y": 2010.5}, "BAD_USER_INPUT"},
		{`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []any{"Q291bnRyeTpQRQ", nil}}, "BAD_USER_INPUT"},
		{`query($t: [SearchType!]) { search(text: "peru", types: $t) { score } }`, map[string]any{"t": []any{"COUNTRY", nil}}, "BAD_USER_INPUT"},
	} {
		r := e.Query(c.query, c.vars)
		testenv.LeakCheck(t, r.Body)
		if len(r.Errors) != 1 || r.Errors[0].Code() != c.want {
			t.Errorf("%s %v: %s", c.query, c.vars, r.Body)
		}
	}

	r := e.Query(`query($withCode: Boolean!, $skipName: Boolean!) { search(text: "peru", types: [COUNTRY, AGENCY]) {
		node { __typename ...C ... on Agency @skip(if: $skipName) { acronym } } } }
		fragment C on Country { code @include(if: $withCode) countryName: name @skip(if: $skipName) }`,
		map[string]any{"withCode": true, "skipName": true})
	if string(r.Data) != `{"search":[{"node":{"__typename":"Country","code":"PE"}}]}` {
		t.Errorf("directives and fragments on the union: %s", r.Body)
	}

	// A non-null field that fails nulls its nearest nullable parent, not the whole response:
	// a malformed lang fails Country.name (String!), so country (nullable) is null.
	r = e.Query(`{ a: country(code: "PE") { name(lang: "!!") } b: country(code: "CL") { name } }`, nil)
	if string(r.Data) != `{"a":null,"b":{"name":"Chile"}}` || !strings.Contains(string(r.Body), `"path":["a","name"]`) {
		t.Errorf("null bubbling: %s", r.Body)
	}
}
