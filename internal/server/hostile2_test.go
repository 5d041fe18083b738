package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/fealac/smegraph/internal/testenv"
)

// These tests keep the cases a second adversarial review and a second new-user review found.

// TestExpensiveRequestsRefused checks that search and filter work the complexity limit did not
// price is refused before any database work.
func TestExpensiveRequestsRefused(t *testing.T) {
	e := testenv.Seeded(t)
	var aliases strings.Builder
	aliases.WriteString("{")
	for i := range 21 {
		fmt.Fprintf(&aliases, `a%d: countries(first: 0) { totalCount } `, i)
	}
	aliases.WriteString("}")
	nest := `{code: {eq: "PE"}}`
	for range 9 {
		nest = `{or: [` + nest + `]}`
	}
	var groupings []string
	for range 6 {
		groupings = append(groupings, `{grouping: {eq: "mercosur"}}`)
	}
	var many []string
	for range 101 {
		many = append(many, `{hasAgencyURL: true}`)
	}
	cases := []struct {
		name, query string
		vars        map[string]any
		code        string
	}{
		{"long search text", `query($t: String!) { search(text: $t) { score } }`, map[string]any{"t": strings.Repeat("a", 101)}, "BAD_USER_INPUT"},
		{"many root fields", aliases.String(), nil, "TOO_MANY_ROOT_FIELDS"},
		{"deep and/or", `{ countries(filter: ` + nest + `) { totalCount } }`, nil, "BAD_USER_INPUT"},
		{"many grouping conditions", `{ countries(filter: {or: [` + strings.Join(groupings, ",") + `]}) { totalCount } }`, nil, "BAD_USER_INPUT"},
		{"many boolean conditions", `{ countries(filter: {and: [` + strings.Join(many, ",") + `]}) { totalCount } }`, nil, "BAD_USER_INPUT"},
		{"long filter text", `query($t: String) { agencies(filter: {name: {contains: $t}}) { totalCount } }`, map[string]any{"t": strings.Repeat("x", 201)}, "BAD_USER_INPUT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.ResetCommands()
			r := e.Query(c.query, c.vars)
			if len(r.Errors) != 1 || r.Errors[0].Code() != c.code {
				t.Errorf("%.300s", r.Body)
			}
			if n := len(e.Commands()); n != 0 {
				t.Errorf("%d database commands before the refusal", n)
			}
		})
	}
}

// TestConsistency checks promises that similar fields kept differently.
func TestConsistency(t *testing.T) {
	e := testenv.Seeded(t)
	// Duplicate search types do not duplicate hits; an empty list searches nothing.
	if got := join(hits(t, e, map[string]any{"t": "peru", "types": []string{"COUNTRY", "COUNTRY", "COUNTRY"}})); got != "Country:3:PE" {
		t.Errorf("duplicate types: %q", got)
	}
	if got := join(hits(t, e, map[string]any{"t": "peru", "types": []string{}})); got != "" {
		t.Errorf("no types: %q", got)
	}
	// A short numeric code is an exact code in search as in lookups.
	if got := hits(t, e, map[string]any{"t": "32"}); len(got) == 0 || got[0] != "Country:4:AR" {
		t.Errorf("search 32: %v", got)
	}
	// Slugs in any case, with spaces, as codes are.
	var g struct{ Grouping *struct{ Slug string } }
	e.Query(`{ grouping(slug: " MERCOSUR ") { slug } }`, nil).MustData(t, &g)
	if g.Grouping == nil || g.Grouping.Slug != "mercosur" {
		t.Errorf("grouping(slug: MERCOSUR) = %+v", g.Grouping)
	}
	// The default order's cursors work with the same order asked for explicitly.
	var p struct {
		Countries struct{ PageInfo struct{ EndCursor string } }
		Meetings  struct{ PageInfo struct{ EndCursor string } }
	}
	e.Query(`{ countries(first: 3) { pageInfo { endCursor } } meetings(first: 3) { pageInfo { endCursor } } }`, nil).MustData(t, &p)
	r := e.Query(`query($c: String, $m: String) { c: countries(first: 1, after: $c, orderBy: [{field: CODE, direction: ASC}]) { nodes { code } }
		m: meetings(first: 1, after: $m, orderBy: [{field: NUMBER, direction: null}]) { nodes { number } } }`,
		map[string]any{"c": p.Countries.PageInfo.EndCursor, "m": p.Meetings.PageInfo.EndCursor})
	if string(r.Data) != `{"c":{"nodes":[{"code":"BO"}]},"m":{"nodes":[{"number":4}]}}` {
		t.Errorf("default cursors with explicit orders: %s", r.Body)
	}
	// One malformed ID in nodes is null in its place; the others are answered.
	r = e.Query(`{ nodes(ids: ["x", "Q291bnRyeTpQRQ"]) { id } }`, nil)
	if string(r.Data) != `{"nodes":[null,{"id":"Q291bnRyeTpQRQ"}]}` || len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Errorf("nodes with a malformed ID: %s", r.Body)
	}
	// Stats say which date they are for.
	var s struct{ Stats struct{ AsOf string } }
	e.Query(`{ stats(asOf: "2020-01-01") { asOf } }`, nil).MustData(t, &s)
	if s.Stats.AsOf != "2020-01-01" {
		t.Errorf("stats asOf %q", s.Stats.AsOf)
	}
}

// TestNestedVariables checks that a field of the wrong type inside an input variable is
// BAD_USER_INPUT naming the field, without Go kinds.
func TestNestedVariables(t *testing.T) {
	e := testenv.Seeded(t)
	for _, c := range []struct {
		f    any
		want string
	}{
		{map[string]any{"yearFrom": map[string]any{"a": 1}}, "variable $f.yearFrom: expected a value of type Int"},
		{map[string]any{"yearFrom": []int{1}}, "variable $f.yearFrom: expected a value of type Int"},
		{map[string]any{"host": map[string]any{"in": []any{"PE", nil}}}, "variable $f.host.in[1]:"},
		{[]int{1}, "variable $f: expected a value of type MeetingFilter"},
	} {
		r := e.Query(`query($f: MeetingFilter) { meetings(filter: $f) { totalCount } }`, map[string]any{"f": c.f})
		testenv.LeakCheck(t, r.Body)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || !strings.HasPrefix(r.Errors[0].Message, c.want) {
			t.Errorf("%v: %s", c.f, r.Body)
		}
		for _, goish := range []string{"map", "slice", "string as"} {
			if strings.Contains(r.Errors[0].Message, goish) {
				t.Errorf("%v: message names a Go kind: %s", c.f, r.Errors[0].Message)
			}
		}
	}
}

// TestHTTPDetails checks the method, Vary header and request log of the endpoint.
func TestHTTPDetails(t *testing.T) {
	e := testenv.Seeded(t)
	req, _ := http.NewRequest(http.MethodPut, e.Server.URL+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r := testenv.Decode(t, resp)
	if r.Status != http.StatusMethodNotAllowed || resp.Header.Get("Allow") == "" || len(r.Errors) != 1 || r.Errors[0].Code() != "METHOD_NOT_ALLOWED" {
		t.Errorf("PUT: %d %q %s", r.Status, resp.Header.Get("Allow"), r.Body)
	}

	resp, err = http.Post(e.Server.URL+"/graphql", "application/json", strings.NewReader(`{"query":"query Bad { nope }","operationName":"Bad"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.Contains(resp.Header.Get("Vary"), "Accept-Language") {
		t.Errorf("Vary = %q", resp.Header.Get("Vary"))
	}
	if logs := e.Logs(); !strings.Contains(logs, "operation=Bad") || !strings.Contains(logs, "errors=1") {
		t.Errorf("a failed validation is not logged with its operation and error:\n%s", logs)
	}
}
