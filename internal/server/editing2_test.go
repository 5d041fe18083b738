package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fealac/smegraph/internal/testenv"
)

// These tests keep what the reviews of the editing features found.

// TestEditingRules checks no-op updates, duplicate names, URL credentials, editors and
// FEALAC/region memberships, overlapping periods, and the current version in conflicts.
func TestEditingRules(t *testing.T) {
	e := testenv.Seeded(t)
	admin := e.Token("center", "admin")
	editor := e.Token("peru-desk", "editor", "PE")
	pe := "QWdlbmN5OkFHLVBF" // Agency:AG-PE

	// An update that changes nothing writes nothing: same version, no audit entry.
	r := e.QueryAs(editor, `mutation { updateAgency(input: {id: "`+pe+`", expectedVersion: 1, acronym: "PRODUCE"}) { agency { version } userErrors { code } } }`, nil)
	if !strings.Contains(string(r.Body), `"version":1`) {
		t.Errorf("no-op update: %s", r.Body)
	}
	var ch struct{ Changes struct{ TotalCount int } }
	e.QueryAs(admin, `{ changes { totalCount } }`, nil).MustData(t, &ch)
	if ch.Changes.TotalCount != 0 {
		t.Errorf("a no-op update was audited")
	}
	// A stale version says which version is current; validation problems come first.
	r = e.QueryAs(editor, `mutation { updateAgency(input: {id: "`+pe+`", expectedVersion: 7, acronym: "P"}) { userErrors { code message } } }`, nil)
	if !strings.Contains(string(r.Body), "version 1") {
		t.Errorf("conflict message: %s", r.Body)
	}
	r = e.QueryAs(editor, `mutation { updateAgency(input: {id: "`+pe+`", expectedVersion: 7, url: "ftp://x"}) { userErrors { field code } } }`, nil)
	if !strings.Contains(string(r.Body), `"field":"url"`) {
		t.Errorf("validation before the version: %s", r.Body)
	}

	cases := []struct{ name, token, query, want string }{
		{"duplicate name", admin, `mutation { createAgency(input: {country: "PE", name: "ministry of production (vice-ministry of mses and industry)"}) { userErrors { field code } } }`, `"code":"CONFLICT"`},
		{"URL without a host", admin, `mutation { createAgency(input: {country: "JP", name: "A1", url: "http://:80"}) { userErrors { field code } } }`, `"field":"url"`},
		{"URL with one slash", admin, `mutation { createAgency(input: {country: "JP", name: "A2", url: "http:/evil.example"}) { userErrors { field code } } }`, `"field":"url"`},
		{"URL without a dot", admin, `mutation { createAgency(input: {country: "JP", name: "A3", url: "na"}) { userErrors { field code } } }`, `"field":"url"`},
		{"URL with a bad port", admin, `mutation { createAgency(input: {country: "JP", name: "A4", url: "https://x.example:99999/"}) { userErrors { field code } } }`, `"field":"url"`},
		{"URL path kept as written", admin, `mutation { createAgency(input: {country: "JP", name: "A5", url: "WWW.Example.JP/a%2fB?q=1"}) { agency { url } } }`, `"url":"http://www.example.jp/a%2fB?q=1"`},
		{"invisible name", admin, `mutation { createAgency(input: {country: "JP", name: "​​"}) { userErrors { field code } } }`, `"field":"name"`},
		{"URL with credentials", admin, `mutation { createAgency(input: {country: "JP", name: "A", url: "http://user:pw@evil.example/"}) { userErrors { field code } } }`, `"field":"url"`},
		{"very long name", admin, `mutation { createAgency(input: {country: "JP", name: "` + strings.Repeat("n", 301) + `"}) { userErrors { field code } } }`, `"code":"BAD_USER_INPUT"`},
		{"editor leaves FEALAC", editor, `mutation { endMembership(input: {country: "PE", grouping: "fealac", until: "2026-11-02", expectedVersion: 1}) { userErrors { code } } }`, `"FORBIDDEN"`},
		{"editor changes region", editor, `mutation { upsertMembership(input: {country: "PE", grouping: "east-asia", status: MEMBER, sources: ["x"]}) { userErrors { code } } }`, `"FORBIDDEN"`},
		{"wrong region even for admins", admin, `mutation { upsertMembership(input: {country: "PE", grouping: "east-asia", status: MEMBER, since: "2026-01-01", sources: ["x"]}) { userErrors { field code } } }`, `"field":"grouping"`},
		{"overlapping period", editor, `mutation { upsertMembership(input: {country: "PE", grouping: "apec", status: OBSERVER, since: "2026-01-01", sources: ["x"]}) { userErrors { field code } } }`, `"field":"since"`},
		{"sources in agency input", editor, `mutation { createAgency(input: {country: "PE", name: "CITE", sources: ["www.itp.gob.pe"]}) { agency { sources { title url } } userErrors { code } } }`, `{"title":"www.itp.gob.pe","url":"http://www.itp.gob.pe"},{"title":"Entered through smegraph on `},
		{"changes of a malformed node", admin, `{ changes(node: "garbage") { totalCount } }`, `"BAD_USER_INPUT"`},
		{"viewer", editor, `{ viewer { name role countries } }`, `{"viewer":{"name":"peru-desk","role":"editor","countries":["PE"]}}`},
		{"viewer without token", "", `{ viewer { name } }`, `{"data":{"viewer":null}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.QueryAs(c.token, c.query, nil)
			if !strings.Contains(string(r.Body), c.want) {
				t.Errorf("%s\nwant it to contain %s", r.Body, c.want)
			}
		})
	}
}

// TestForbiddenDoesNotHideOthers checks that a refused mutation in an operation leaves the
// results of the others visible.
func TestForbiddenDoesNotHideOthers(t *testing.T) {
	e := testenv.Seeded(t)
	editor := e.Token("peru-desk", "editor", "PE")
	r := e.QueryAs(editor, `mutation { a: updateAgency(input: {id: "QWdlbmN5OkFHLVBF", expectedVersion: 1, acronym: "P"}) { agency { version } }
		b: updateAgency(input: {id: "QWdlbmN5OkFHLUNP", expectedVersion: 1, acronym: "C"}) { agency { version } } }`, nil)
	if string(r.Data) != `{"a":{"agency":{"version":2}},"b":null}` || len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Errorf("%s", r.Body)
	}
}

// TestMutationOverGET checks that a GET cannot change state.
func TestMutationOverGET(t *testing.T) {
	e := testenv.Seeded(t)
	q := url.Values{"query": {`mutation { deleteAgency(input: {id: "QWdlbmN5OkFHLVBF", expectedVersion: 1}) { deletedId } }`}}
	resp, err := http.Get(e.Server.URL + "/graphql?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	r := testenv.Decode(t, resp)
	if r.Status != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" || r.Errors[0].Code() != "METHOD_NOT_ALLOWED" {
		t.Errorf("%d %s", r.Status, r.Body)
	}
}
