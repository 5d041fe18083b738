package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/fealac/smegraph/internal/seed"
	"github.com/fealac/smegraph/internal/store"
	"github.com/fealac/smegraph/internal/testenv"
)

// TestDoneWhen checks the facts issue #2 names as its acceptance test.
func TestDoneWhen(t *testing.T) {
	e := testenv.Seeded(t)
	var data struct {
		Countries struct{ TotalCount int }
		East      struct{ MemberCount int }
		Latin     struct{ MemberCount int }
		Peru      struct {
			Name     string
			Agencies []struct{ URL string }
		}
		Japan struct{ Agencies []struct{ ID string } }
	}
	e.Query(`{
		countries(first: 100) { totalCount }
		east: grouping(slug: "east-asia") { memberCount }
		latin: grouping(slug: "latin-america") { memberCount }
		peru: country(code: "per") { name agencies { url } }
		japan: country(code: "JP") { agencies { id } }
	}`, nil).MustData(t, &data)
	if data.Countries.TotalCount != 36 || data.East.MemberCount != 16 || data.Latin.MemberCount != 20 {
		t.Errorf("counts: %+v", data)
	}
	if data.Peru.Name != "Peru" || len(data.Peru.Agencies) != 1 ||
		data.Peru.Agencies[0].URL != "http://www.produce.gob.pe/index.php/ministerio/sector-mype-e-industria" {
		t.Errorf("Peru: %+v", data.Peru)
	}
	if data.Japan.Agencies == nil || len(data.Japan.Agencies) != 0 {
		t.Errorf("Japan agencies: %+v", data.Japan.Agencies)
	}
}

// TestCountryCodes checks that lookups accept every ISO 3166-1 form in any case.
func TestCountryCodes(t *testing.T) {
	e := testenv.Seeded(t)
	for _, code := range []string{"PE", "pe", "PER", "per", "Per", "604", " pe "} {
		var data struct{ Country *struct{ Code string } }
		e.Query(`query($c: String!) { country(code: $c) { code } }`, map[string]any{"c": code}).MustData(t, &data)
		if data.Country == nil || data.Country.Code != "PE" {
			t.Errorf("country(code: %q) = %+v, want PE", code, data.Country)
		}
	}
	// Leading zeros are part of the numeric code: Australia is 036.
	var au struct {
		Country struct{ Code, Numeric, Alpha3 string }
	}
	e.Query(`{ country(code: "036") { code numeric alpha3 } }`, nil).MustData(t, &au)
	if au.Country.Code != "AU" || au.Country.Numeric != "036" || au.Country.Alpha3 != "AUS" {
		t.Errorf("036: %+v", au)
	}
}

// TestLookupsMissReturnNull checks that a lookup that finds nothing is null, not an error.
func TestLookupsMissReturnNull(t *testing.T) {
	e := testenv.Seeded(t)
	r := e.Query(`{
		a: country(code: "XX") { code } b: country(code: "XXX") { code } c: country(code: "999") { code }
		d: country(code: "") { code } e: country(code: "toolong") { code }
		f: grouping(slug: "nope") { slug }
		g: agency(id: "QWdlbmN5OkFHLUpQ") { id }
		h: meeting(id: "TWVldGluZzpGTU0tOTk") { id }
		i: decision(id: "RGVjaXNpb246WA") { id }
		j: node(id: "Q291bnRyeTpYWA") { id }
		k: nodes(ids: ["Q291bnRyeTpQRQ", "Q291bnRyeTpYWA"]) { id }
	}`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %s", r.Body)
	}
	want := `{"a":null,"b":null,"c":null,"d":null,"e":null,"f":null,"g":null,"h":null,"i":null,"j":null,"k":[{"id":"Q291bnRyeTpQRQ"},null]}`
	if string(r.Data) != want {
		t.Errorf("data = %s\nwant   %s", r.Data, want)
	}
}

// TestNodeRoundTrip checks that every node's ID resolves through node(id:) and nodes(ids:) to
// the same node, of the right type.
func TestNodeRoundTrip(t *testing.T) {
	e := testenv.Seeded(t)
	var data struct {
		Countries, Agencies, Groupings, Meetings, Decisions struct {
			Nodes []struct{ ID string }
		}
	}
	e.Query(`{ countries(first: 100) { nodes { id } } agencies(first: 100) { nodes { id } }
		groupings(first: 100) { nodes { id } } meetings(first: 100) { nodes { id } } decisions(first: 100) { nodes { id } } }`, nil).MustData(t, &data)
	var ids []string
	for _, c := range [][]struct{ ID string }{data.Countries.Nodes, data.Agencies.Nodes, data.Groupings.Nodes, data.Meetings.Nodes, data.Decisions.Nodes} {
		for _, n := range c {
			ids = append(ids, n.ID)
		}
	}
	if len(ids) != 36+18+16+10+22 {
		t.Fatalf("%d IDs", len(ids))
	}
	for start := 0; start < len(ids); start += 100 {
		batch := ids[start:min(start+100, len(ids))]
		var got struct{ Nodes []struct{ ID string } }
		e.ResetCommands()
		e.Query(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": batch}).MustData(t, &got)
		for i, n := range got.Nodes {
			if n.ID != batch[i] {
				t.Errorf("nodes[%d] = %s, want %s", i, n.ID, batch[i])
			}
		}
		if n := len(e.Commands()); n > 5 {
			t.Errorf("nodes(%d IDs) sent %d commands, want at most one per type", len(batch), n)
		}
	}
	var one struct {
		Node struct {
			Typename string `json:"__typename"`
			ID       string
		}
	}
	e.Query(`query($id: ID!) { node(id: $id) { __typename id } }`, map[string]any{"id": ids[len(ids)-1]}).MustData(t, &one)
	if one.Node.Typename != "Decision" || one.Node.ID != ids[len(ids)-1] {
		t.Errorf("node = %+v", one.Node)
	}
}

// TestPaginationWalk walks every connection forward with first/after and back with
// last/before, and checks that both walks see every node once, in order.
func TestPaginationWalk(t *testing.T) {
	e := testenv.Seeded(t)
	for _, conn := range []struct {
		name, args string
		total      int
	}{
		{"countries", "", 36}, {"agencies", "", 18}, {"groupings", "", 16}, {"meetings", "", 10}, {"decisions", "", 22},
		{"countries", "orderBy: [{field: NAME, direction: DESC}], ", 36},
		{"countries", "orderBy: [{field: REGION}, {field: NAME}], filter: {hasAgencyURL: true}, ", 18},
		{"agencies", "orderBy: [{field: NAME}], ", 18},
		{"agencies", "orderBy: [{field: UPDATED_AT, direction: DESC}, {field: COUNTRY}], ", 18},
		{"meetings", "orderBy: [{field: START_DATE, direction: DESC}], filter: {yearFrom: 2004}, ", 9},
		{"decisions", "filter: {kind: [DECLARATION, DECISION]}, ", 12},
	} {
		t.Run(conn.name+" "+conn.args, func(t *testing.T) {
			var all struct {
				C struct{ Nodes []struct{ ID string } } `json:"c"`
			}
			e.Query(fmt.Sprintf(`{ c: %s(%sfirst: 100) { nodes { id } } }`, conn.name, conn.args), nil).MustData(t, &all)
			want := make([]string, len(all.C.Nodes))
			for i, n := range all.C.Nodes {
				want[i] = n.ID
			}
			if len(want) != conn.total {
				t.Fatalf("%d nodes, want %d", len(want), conn.total)
			}

			type page struct {
				C struct {
					TotalCount int
					Edges      []struct {
						Cursor string
						Node   struct{ ID string }
					}
					PageInfo struct {
						HasNextPage, HasPreviousPage bool
						StartCursor, EndCursor       *string
					}
				} `json:"c"`
			}
			walk := func(forward bool) []string {
				var seen []string
				var cursor *string
				for range 100 {
					var p page
					q := fmt.Sprintf(`query($cur: String) { c: %s(%sfirst: 7, after: $cur) { totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, conn.name, conn.args)
					if !forward {
						q = fmt.Sprintf(`query($cur: String) { c: %s(%slast: 7, before: $cur) { totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, conn.name, conn.args)
					}
					e.Query(q, map[string]any{"cur": cursor}).MustData(t, &p)
					if p.C.TotalCount != conn.total {
						t.Fatalf("totalCount %d", p.C.TotalCount)
					}
					ids := []string{}
					for _, edge := range p.C.Edges {
						ids = append(ids, edge.Node.ID)
					}
					if n := len(p.C.Edges); n > 0 && (*p.C.PageInfo.StartCursor != p.C.Edges[0].Cursor || *p.C.PageInfo.EndCursor != p.C.Edges[n-1].Cursor) {
						t.Fatalf("start/end cursors do not match the edges")
					}
					if forward {
						seen = append(seen, ids...)
						if p.C.PageInfo.HasPreviousPage != (cursor != nil) {
							t.Errorf("hasPreviousPage = %v after %v", p.C.PageInfo.HasPreviousPage, cursor)
						}
						if !p.C.PageInfo.HasNextPage {
							return seen
						}
						cursor = p.C.PageInfo.EndCursor
					} else {
						seen = append(ids, seen...)
						if p.C.PageInfo.HasNextPage != (cursor != nil) {
							t.Errorf("hasNextPage = %v before %v", p.C.PageInfo.HasNextPage, cursor)
						}
						if !p.C.PageInfo.HasPreviousPage {
							return seen
						}
						cursor = p.C.PageInfo.StartCursor
					}
				}
				t.Fatal("walk did not end")
				return nil
			}
			if got := walk(true); !slices.Equal(got, want) {
				t.Errorf("forward walk:\n%v\nwant\n%v", got, want)
			}
			if got := walk(false); !slices.Equal(got, want) {
				t.Errorf("backward walk:\n%v\nwant\n%v", got, want)
			}
		})
	}
}

// TestDashboardSendsNoCommand checks that the nested dashboard query is answered from the
// in-memory snapshot: the command monitor counts no MongoDB command for it, with the seed
// data and with ten times as many agencies (added by a bulk write the snapshot follows).
func TestDashboardSendsNoCommand(t *testing.T) {
	e := testenv.Seeded(t)
	count := func() int {
		e.ResetCommands()
		if r := e.Query(dashboardQuery, nil); len(r.Errors) > 0 {
			t.Fatalf("errors: %s", r.Body)
		}
		return len(e.Commands())
	}
	if n := count(); n != 0 {
		t.Errorf("the dashboard query sent %d commands with the seed: %v", n, e.Commands())
	}

	ds, err := seed.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	extra, err := seed.Synthetic(9 * len(ds.Agencies))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.Apply(context.Background(), &store.Dataset{Agencies: extra}, testenv.SeedTime); err != nil {
		t.Fatal(err)
	}
	var n struct{ Agencies struct{ TotalCount int } }
	e.Query(`{ agencies { totalCount } }`, nil).MustData(t, &n)
	if n.Agencies.TotalCount != 10*len(ds.Agencies) {
		t.Fatalf("%d agencies, want %d", n.Agencies.TotalCount, 10*len(ds.Agencies))
	}
	if n := count(); n != 0 {
		t.Errorf("the dashboard query sent %d commands with ten times the agencies: %v", n, e.Commands())
	}
}

// TestHealth checks /healthz, /readyz and the IDE page.
func TestHealth(t *testing.T) {
	e := testenv.New(t)
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/": "/ide/graphiql.min.js"} {
		resp, err := http.Get(e.Server.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s = %d %.80q", path, resp.StatusCode, body)
		}
	}
	resp, err := http.Get(e.Server.URL + "/nope")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nope = %d", resp.StatusCode)
	}
}

// TestGET checks that queries work over GET and that the request log names the operation.
func TestGET(t *testing.T) {
	e := testenv.Seeded(t)
	q := url.Values{"query": {`query Peru { country(code: "PE") { name } }`}}
	resp, err := http.Get(e.Server.URL + "/graphql?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	r := testenv.Decode(t, resp)
	if r.Status != 200 || string(r.Data) != `{"country":{"name":"Peru"}}` {
		t.Errorf("GET: %d %s", r.Status, r.Body)
	}
	if logs := e.Logs(); !strings.Contains(logs, "operation=Peru") || !strings.Contains(logs, "outcome=ok") || !strings.Contains(logs, "duration_ms=") {
		t.Errorf("request log line missing operation/outcome/duration:\n%s", logs)
	}
}

// TestLanguages checks BCP-47 matching with fallback, unknown but well-formed tags, and the
// Accept-Language header as the default.
func TestLanguages(t *testing.T) {
	e := testenv.Seeded(t)
	var data map[string]any
	e.Query(`{ country(code: "BR") { en: name es: name(lang: "es") es419: name(lang: "es-419") pt: name(lang: "pt-BR")
		unknown: name(lang: "xx") gsw: name(lang: "de-CH") }
		wg: grouping(slug: "wg-es") { pt: name(lang: "pt") } }`, nil).MustData(t, &data)
	want := `map[country:map[en:Brazil es:Brasil es419:Brasil gsw:Brazil pt:Brasil unknown:Brazil] wg:map[pt:Economy and Society Working Group]]`
	if got := fmt.Sprint(data); got != want {
		t.Errorf("names:\n%s\nwant\n%s", got, want)
	}

	req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql",
		strings.NewReader(`{"query":"{ country(code: \"JP\") { name en: name(lang: \"en\") } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", "fr-CA, es-419;q=0.9, en;q=0.5")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if r := testenv.Decode(t, resp); string(r.Data) != `{"country":{"name":"Japón","en":"Japan"}}` {
		t.Errorf("Accept-Language: %s", r.Body)
	}

	for _, bad := range []string{"", "es_419", "not a tag", "toolongsubtag", "en-"} {
		r := e.Query(`query($l: String) { country(code: "JP") { name(lang: $l) } }`, map[string]any{"l": bad})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["argument"] != "lang" {
			t.Errorf("lang %q: %s", bad, r.Body)
		}
	}
}

// TestEdges checks smaller promises: short numeric codes, an empty page still says whether
// nodes follow, and membership history before a suspension.
func TestEdges(t *testing.T) {
	e := testenv.Seeded(t)
	r := e.Query(`{ ar: country(code: "32") { code } au: country(code: "36") { code }
		m: meetings(first: 0) { totalCount nodes { number } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }
		mercosur: grouping(slug: "mercosur") { y2015: members(asOf: "2015-01-01") { code } y2017: members(asOf: "2017-01-01") { code }
			now: memberships { country { code } status } } }`, nil)
	want := `{"ar":{"code":"AR"},"au":{"code":"AU"},` +
		`"m":{"totalCount":10,"nodes":[],"pageInfo":{"hasNextPage":true,"hasPreviousPage":false,"startCursor":null,"endCursor":null}},` +
		`"mercosur":{"y2015":[{"code":"AR"},{"code":"BR"},{"code":"PY"},{"code":"UY"},{"code":"VE"}],` +
		`"y2017":[{"code":"AR"},{"code":"BR"},{"code":"PY"},{"code":"UY"}],` +
		`"now":[{"country":{"code":"AR"},"status":"MEMBER"},{"country":{"code":"BO"},"status":"MEMBER"},{"country":{"code":"BR"},"status":"MEMBER"},` +
		`{"country":{"code":"PY"},"status":"MEMBER"},{"country":{"code":"UY"},"status":"MEMBER"},{"country":{"code":"VE"},"status":"SUSPENDED"}]}}`
	if len(r.Errors) > 0 || string(r.Data) != want {
		t.Errorf("got  %s\nwant %s", r.Body, want)
	}
}
