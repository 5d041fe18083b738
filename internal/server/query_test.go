package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fealac/smegraph/internal/testenv"
)

// codes runs a connection query aliased c and returns the codes (or other single string
// field) of its nodes, in order.
func codes(t *testing.T, e *testenv.Env, query string, vars map[string]any) []string {
	t.Helper()
	var data struct {
		C struct {
			TotalCount int
			Nodes      []map[string]any
		} `json:"c"`
	}
	e.Query(query, vars).MustData(t, &data)
	out := []string{}
	for _, n := range data.C.Nodes {
		for _, v := range n {
			s, _ := v.(string)
			out = append(out, s)
		}
	}
	return out
}

func join(s []string) string { return strings.Join(s, " ") }

// TestFilters checks every filter with exact expected results, including accent- and
// case-insensitive matching and text that looks like a regular expression.
func TestFilters(t *testing.T) {
	e := testenv.Seeded(t)
	cases := []struct{ name, query, want string }{
		{"contains peru", `{ c: countries(filter: {name: {contains: "peru"}}) { nodes { code } } }`, "PE"},
		{"contains MÉXICO", `{ c: countries(filter: {name: {contains: "MÉXICO"}}) { nodes { code } } }`, "MX"},
		{"contains mexico finds México", `{ c: countries(filter: {name: {contains: "mexico"}}) { nodes { code } } }`, "MX"},
		{"startsWith viet", `{ c: countries(filter: {name: {startsWith: "Viet"}}) { nodes { code } } }`, "VN"},
		{"ISO short name", `{ c: countries(filter: {name: {contains: "viet nam"}}) { nodes { code } } }`, "VN"},
		{"ISO short name, exact", `{ c: countries(filter: {name: {eq: "Korea, Republic of"}}) { nodes { code } } }`, "KR"},
		{"fullwidth code", `{ c: countries(filter: {code: {eq: "ＰＥ"}}) { nodes { code } } }`, "PE"},
		// Only "República Dominicana" starts so; formal names ("Republic of Chile") are not names.
		{"formal names are not matched", `{ c: countries(filter: {name: {startsWith: "Rep"}}) { nodes { code } } }`, "DO"},
		{"a space is a character", `{ c: countries(filter: {name: {contains: " "}, region: {eq: "east-asia"}}) { nodes { code } } }`, "BN KR LA NZ VN"},
		{"a leading space starts a word", `{ c: countries(filter: {name: {contains: " d"}}) { nodes { code } } }`, "BN DO KR LA"}, // Brunei Darussalam, Dominican, Corea del Sur, Lao People's Democratic
		{"Portuguese name, no accent", `{ c: countries(filter: {name: {contains: "japao"}}) { nodes { code } } }`, "JP"},
		{"name eq exact", `{ c: countries(filter: {name: {eq: "Perú"}}) { nodes { code } } }`, "PE"},
		{"regex metacharacters are plain", `{ c: countries(filter: {name: {contains: ".*"}}) { nodes { code } } }`, ""},
		{"unbalanced bracket", `{ c: countries(filter: {name: {contains: "(["}}) { nodes { code } } }`, ""},
		{"any ISO form", `{ c: countries(filter: {code: {in: ["per", "032", "CHL"]}}) { nodes { code } } }`, "AR CL PE"},
		{"code nin", `{ c: countries(filter: {code: {nin: ["AR", "AUS", "076"]}, region: {eq: "latin-america"}}) { nodes { code } } }`, "BO CL CO CR CU DO EC GT HN MX NI PA PE PY SR SV UY VE"},
		{"region and hasAgencyURL", `{ c: countries(filter: {region: {eq: "east-asia"}, hasAgencyURL: false}) { nodes { code } } }`, "BN JP MN PH TH VN"},
		{"or", `{ c: countries(filter: {or: [{code: {eq: "PE"}}, {name: {startsWith: "Cu"}}]}) { nodes { code } } }`, "CU PE"},
		{"and of or", `{ c: countries(filter: {and: [{or: [{region: {eq: "east-asia"}}, {code: {eq: "PE"}}]}, {grouping: {eq: "apec"}}], name: {contains: "a"}}) { nodes { code } } }`, "AU BN CN ID JP KR MY NZ PH SG TH VN"}, // BN by its ISO name, Brunei Darussalam
		{"empty or matches nothing", `{ c: countries(filter: {or: []}) { nodes { code } } }`, ""},
		{"grouping today", `{ c: countries(filter: {grouping: {eq: "mercosur"}}) { nodes { code } } }`, "AR BO BR PY UY"},
		{"grouping in", `{ c: countries(filter: {grouping: {in: ["can", "pacific-alliance"]}}) { nodes { code } } }`, "BO CL CO EC MX PE"},
		{"grouping ne", `{ c: countries(filter: {grouping: {ne: "apec"}, region: {eq: "east-asia"}}) { nodes { code } } }`, "KH LA MM MN"},
		{"agency by alpha-3", `{ c: agencies(filter: {country: {eq: "per"}}) { nodes { acronym } } }`, "PRODUCE"},
		{"agency kind", `{ c: agencies(filter: {kind: [CHAMBER, AGENCY]}) { nodes { acronym } } }`, "LNCCI ESG CONAMYPE"},
		{"agency name contains, Spanish", `{ c: agencies(filter: {name: {contains: "INDUSTRIA"}, region: {eq: "latin-america"}}) { nodes { acronym } } }`, "MinCIT MEIC MICM PRODUCE MIC"},
		{"agency without URL", `{ c: agencies(filter: {hasURL: false}) { nodes { acronym } } }`, ""},
		{"grouping kind", `{ c: groupings(filter: {kind: [TRADE_BLOC]}) { nodes { slug } } }`, "asean mercosur pacific-alliance sica can"},
		{"grouping name accents", `{ c: groupings(filter: {name: {contains: "pacifico"}}) { nodes { slug } } }`, "pacific-alliance apec"},
		{"meeting host by name", `{ c: meetings(filter: {host: {contains: "japon"}}) { nodes { city } } }`, "Tokyo"},
		{"meeting host by numeric", `{ c: meetings(filter: {host: {in: ["392", "KOR"]}}) { nodes { city } } }`, "Tokyo Busan"},
		{"meeting years", `{ c: meetings(filter: {yearFrom: 2010, yearTo: 2015}) { nodes { city } } }`, "Tokyo Buenos Aires Nusa Dua, Bali San José"},
		{"decision topic", `{ c: decisions(filter: {topic: {eq: "SME"}}) { nodes { kind } } }`, "INSTITUTIONAL DECISION DECISION DECISION"},
		{"decision country", `{ c: decisions(filter: {country: {eq: "ecu"}}) { nodes { kind } } }`, "DECISION"},
		{"decision kind and title", `{ c: decisions(filter: {kind: [DECLARATION], title: {contains: "declaracion de"}}) { nodes { kind } } }`, "DECLARATION DECLARATION DECLARATION DECLARATION"},
		{"decision meeting", `{ c: decisions(filter: {meeting: "TWVldGluZzpGTU0tNA"}) { nodes { kind } } }`, "DECLARATION DECISION INSTITUTIONAL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := join(codes(t, e, c.query, nil)); got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}

	// totalCount counts the filtered set, not the page.
	var n struct{ Countries struct{ TotalCount int } }
	e.Query(`{ countries(first: 2, filter: {region: {eq: "latin-america"}}) { totalCount } }`, nil).MustData(t, &n)
	if n.Countries.TotalCount != 20 {
		t.Errorf("totalCount %d, want 20", n.Countries.TotalCount)
	}

	for _, bad := range []string{
		`{ countries(filter: {code: {in: [` + strings.Repeat(`"PE",`, 101) + `]}}) { totalCount } }`,
		`{ decisions(filter: {meeting: "bad"}) { totalCount } }`,
	} {
		r := e.Query(bad, nil)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || !strings.HasPrefix(r.Errors[0].Message, "filter.") {
			t.Errorf("%.80s: %s", bad, r.Body)
		}
	}
}

// TestOrdering checks orderBy with several keys, directions, nulls and the ID tie-break.
func TestOrdering(t *testing.T) {
	e := testenv.Seeded(t)
	cases := []struct{ name, query, want string }{
		{"name", `{ c: countries(first: 5, orderBy: [{field: NAME}]) { nodes { code } } }`, "AR AU BO BR BN"},
		{"name desc", `{ c: countries(first: 5, orderBy: [{field: NAME, direction: DESC}]) { nodes { code } } }`, "VN VE UY TH SR"},
		{"region then name", `{ c: countries(first: 3, orderBy: [{field: REGION}, {field: NAME}]) { nodes { code } } }`, "AU BN KH"},
		{"region desc then code", `{ c: countries(first: 3, orderBy: [{field: REGION, direction: DESC}, {field: CODE}]) { nodes { code } } }`, "AR BO BR"},
		{"agencies by name, nameless last", `{ c: agencies(orderBy: [{field: NAME}]) { nodes { country { code } } } }`, ""},
		{"agencies by country desc", `{ c: agencies(first: 3, orderBy: [{field: COUNTRY, direction: DESC}]) { nodes { acronym } } }`, "CONAMYPE ESG MIC"},
		{"meetings by start date desc", `{ c: meetings(first: 3, orderBy: [{field: START_DATE, direction: DESC}]) { nodes { city } } }`, "Ulaanbaatar Santo Domingo Busan"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := join(codes(t, e, c.query, nil))
			if c.want == "" {
				return
			}
			if got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
	var ag struct {
		Agencies struct{ Nodes []struct{ Name *string } }
	}
	e.Query(`{ agencies(first: 100, orderBy: [{field: NAME}]) { nodes { name } } }`, nil).MustData(t, &ag)
	if n := len(ag.Agencies.Nodes); n != 18 || ag.Agencies.Nodes[n-1].Name != nil || ag.Agencies.Nodes[0].Name == nil || *ag.Agencies.Nodes[0].Name != "Department of Jobs and Small Business" {
		t.Errorf("agencies by name: first %v, last %v", ag.Agencies.Nodes[0].Name, ag.Agencies.Nodes[n-1].Name)
	}
}

// TestKeysetShape checks what a later page sends to the database: a range on the sort keys
// (ending with the ID), the sort, a limit one past the page, and no skip. On an indexed
// backend this costs the same on page 50 as on page 1.
func TestKeysetShape(t *testing.T) {
	e := testenv.Seeded(t)
	var p1 struct {
		Agencies struct{ PageInfo struct{ EndCursor string } }
	}
	e.Query(`{ agencies(first: 5, orderBy: [{field: NAME}], filter: {region: {eq: "east-asia"}}) { pageInfo { endCursor } } }`, nil).MustData(t, &p1)

	e.ResetCommands()
	var p2 struct {
		Agencies struct{ Nodes []struct{ Acronym *string } }
	}
	e.Query(`query($c: String) { agencies(first: 5, after: $c, orderBy: [{field: NAME}], filter: {region: {eq: "east-asia"}}) { nodes { acronym } } }`,
		map[string]any{"c": p1.Agencies.PageInfo.EndCursor}).MustData(t, &p2)
	if cmds := e.Commands(); len(cmds) != 0 {
		t.Errorf("a page cost %v, want no command (the snapshot answers)", cmds)
	}
	if len(p2.Agencies.Nodes) == 0 {
		t.Errorf("page 2 is empty")
	}

	// A cursor of one ordering is refused by another.
	r := e.Query(`query($c: String) { agencies(after: $c) { totalCount } }`, map[string]any{"c": p1.Agencies.PageInfo.EndCursor})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Errorf("cursor of another ordering: %s", r.Body)
	}
}

// TestRederive checks that a database written before the store derived its filter fields
// (or under another version of them) is brought up to date by Prepare, without changing
// any document's revision.
func TestRederive(t *testing.T) {
	e := testenv.Seeded(t)
	ctx := t.Context()
	db := testenv.Client().Database(e.DB)
	if _, err := db.Collection("countries").UpdateMany(ctx, bson.D{}, bson.D{{Key: "$unset", Value: bson.D{{Key: "nameKeys", Value: ""}, {Key: "sortName", Value: ""}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("meta").DeleteOne(ctx, bson.D{{Key: "_id", Value: "derived"}}); err != nil {
		t.Fatal(err)
	}
	// The snapshot holds what it read; read the damaged documents again.
	if err := e.Model.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if got := join(codes(t, e, `{ c: countries(filter: {name: {contains: "peru"}}) { nodes { code } } }`, nil)); got != "" {
		t.Fatalf("before Prepare: %q", got)
	}
	if err := e.Store.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	// Prepare publishes the collections it rewrote; the model reads them again.
	for start := time.Now(); ; time.Sleep(testenv.SyncInterval) {
		got := join(codes(t, e, `{ c: countries(filter: {name: {contains: "peru"}}) { nodes { code } } }`, nil))
		if got == "PE" {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("after Prepare: %q", got)
		}
	}
	var v struct{ Version int }
	if err := db.Collection("countries").FindOne(ctx, bson.D{{Key: "_id", Value: "PE"}}).Decode(&v); err != nil || v.Version != 1 {
		t.Errorf("version %d, %v", v.Version, err)
	}
}

// hits runs a search and returns "Type:score:label" per hit, label being a code, slug, acronym
// or English name/title.
func hits(t *testing.T, e *testenv.Env, vars map[string]any) []string {
	t.Helper()
	var data struct {
		Search []struct {
			Score float64
			Node  map[string]any
		}
	}
	e.Query(`query($t: String!, $types: [SearchType!], $n: Int) { search(text: $t, types: $types, first: $n) { score node {
		__typename ... on Country { code } ... on Agency { acronym name } ... on Grouping { slug }
		... on Meeting { title } ... on Decision { title } } } }`, vars).MustData(t, &data)
	out := []string{}
	for _, h := range data.Search {
		label := ""
		for _, f := range []string{"code", "acronym", "slug", "title", "name"} {
			if s, ok := h.Node[f].(string); ok {
				label = s
				break
			}
		}
		out = append(out, fmt.Sprintf("%s:%g:%s", h.Node["__typename"], h.Score, label))
	}
	return out
}

// TestSearch checks ranking (exact code or acronym, exact name, prefix, substring; ties by
// name), accent- and case-insensitivity in every language, and literal punctuation.
func TestSearch(t *testing.T) {
	e := testenv.Seeded(t)
	cases := []struct {
		vars map[string]any
		want string
	}{
		// The exact code first, then every name containing "per", by name across types.
		{map[string]any{"t": "per"}, "Country:4:PE Grouping:1:apec Grouping:1:fealac Decision:1:Manila Plan of Action to Further Enhance Cooperation Between East Asia and Latin America Agency:1:Kemenkop UKM Agency:1:MEDAC Grouping:1:wg-spcsd"},
		{map[string]any{"t": "Perú"}, "Country:3:PE"},
		{map[string]any{"t": "peru", "types": []string{"COUNTRY", "AGENCY"}}, "Country:3:PE"},
		{map[string]any{"t": "MÉXICO"}, "Country:3:MX"},
		{map[string]any{"t": "viet nam"}, "Country:3:VN"}, // the ISO short name
		{map[string]any{"t": "vietnam"}, "Country:3:VN"},
		{map[string]any{"t": "vietna"}, "Country:2:VN"},
		{map[string]any{"t": "japao"}, "Country:3:JP"},
		{map[string]any{"t": "MERCOSUR"}, "Grouping:4:mercosur"},
		{map[string]any{"t": "mercosul"}, "Grouping:1:mercosur"}, // inside "Mercado Comum do Sul (MERCOSUL)"
		{map[string]any{"t": "produce"}, "Agency:4:PRODUCE"},
		{map[string]any{"t": "brasilia"}, "Meeting:3:3rd FEALAC Foreign Ministers' Meeting Decision:2:Brasilia Ministerial Declaration and Programme of Action"},
		{map[string]any{"t": "small and medium", "n": 3}, "Decision:1:Decision on Small and Medium Enterprise Decision:1:Decision on the Bi-Regional Center for the Development of Small and Medium Enterprises Agency:1:Kemenkop UKM"},
		{map[string]any{"t": "korea", "types": []string{"COUNTRY", "DECISION"}}, "Country:3:KR Decision:1:Republic of Korea to host the FEALAC Cyber Secretariat"},
		{map[string]any{"t": ".*"}, ""},
		{map[string]any{"t": "(["}, ""},
		{map[string]any{"t": "20 years:"}, "Decision:1:Santo Domingo Declaration – \"20 years: New Actions for a Better Future\""},
	}
	for _, c := range cases {
		if got := join(hits(t, e, c.vars)); got != c.want {
			t.Errorf("search %v:\ngot  %q\nwant %q", c.vars, got, c.want)
		}
	}

	// Ranking holds across types on a broad text: scores never rise down the list.
	got := hits(t, e, map[string]any{"t": "an", "n": 100})
	var scores []float64
	for _, h := range got {
		var typ, label string
		var s float64
		fmt.Sscanf(strings.Replace(h, ":", " ", 2), "%s %g %s", &typ, &s, &label)
		scores = append(scores, s)
	}
	for i := 1; i < len(scores); i++ {
		if scores[i] > scores[i-1] {
			t.Errorf("not ranked by score: %v", got)
			break
		}
	}

	for _, bad := range []map[string]any{{"t": ""}, {"t": "   "}, {"t": "x", "n": -1}, {"t": "x", "n": 101}, {"t": "\u200b"}} {
		r := e.Query(`query($t: String!, $n: Int) { search(text: $t, first: $n) { score } }`, bad)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Errorf("search %v: %s", bad, r.Body)
		}
	}
}

// TestHistory checks membership history on asOf dates: MERCOSUR before and after Bolivia's
// accession and Venezuela's suspension, ASEAN's ten FEALAC members with Timor-Leste kept
// apart from its admission, and a country's groupings and memberships on a date.
func TestHistory(t *testing.T) {
	e := testenv.Seeded(t)
	r := e.Query(`{
		m2024: grouping(slug: "mercosur") { members(asOf: "2024-07-04") { code } memberCount(asOf: "2024-07-04") }
		m2025: grouping(slug: "mercosur") { members(asOf: "2024-07-05") { code } memberships(asOf: "2024-07-05") { country { code } status since } }
		a2025: grouping(slug: "asean") { memberCount(asOf: "2025-10-25") externalMembers(asOf: "2025-10-25") { code } }
		a2026: grouping(slug: "asean") { memberCount(asOf: "2026-01-01") externalMembers(asOf: "2026-01-01") { code since } }
		bo2020: country(code: "BO") { groupings(asOf: "2020-01-01") { slug } }
		bo2025: country(code: "BO") { groupings(asOf: "2025-01-01") { slug } }
		ve: country(code: "VE") { groupings { slug } memberships { grouping { slug } status since until } }
		hn2010: grouping(slug: "fealac") { memberCount(asOf: "2010-01-01") }
	}`, nil)
	want := `{"m2024":{"members":[{"code":"AR"},{"code":"BR"},{"code":"PY"},{"code":"UY"}],"memberCount":4},` +
		`"m2025":{"members":[{"code":"AR"},{"code":"BO"},{"code":"BR"},{"code":"PY"},{"code":"UY"}],"memberships":[` +
		`{"country":{"code":"AR"},"status":"MEMBER","since":null},{"country":{"code":"BO"},"status":"MEMBER","since":"2024-07-05"},` +
		`{"country":{"code":"BR"},"status":"MEMBER","since":null},{"country":{"code":"PY"},"status":"MEMBER","since":null},` +
		`{"country":{"code":"UY"},"status":"MEMBER","since":null},{"country":{"code":"VE"},"status":"SUSPENDED","since":"2016-12-01"}]},` +
		`"a2025":{"memberCount":10,"externalMembers":[]},` +
		`"a2026":{"memberCount":10,"externalMembers":[{"code":"TL","since":"2025-10-26"}]},` +
		`"bo2020":{"groupings":[{"slug":"fealac"},{"slug":"latin-america"},{"slug":"can"}]},` +
		`"bo2025":{"groupings":[{"slug":"fealac"},{"slug":"latin-america"},{"slug":"mercosur"},{"slug":"can"}]},` +
		`"ve":{"groupings":[{"slug":"fealac"},{"slug":"latin-america"}],"memberships":[` +
		`{"grouping":{"slug":"fealac"},"status":"MEMBER","since":null,"until":null},` +
		`{"grouping":{"slug":"latin-america"},"status":"MEMBER","since":null,"until":null},` +
		`{"grouping":{"slug":"mercosur"},"status":"SUSPENDED","since":"2016-12-01","until":null}]},` +
		// Honduras and Suriname joined at the 5th meeting (2011); the Dominican Republic in 2007.
		`"hn2010":{"memberCount":34}}`
	if len(r.Errors) > 0 || string(r.Data) != want {
		t.Errorf("got  %s\nwant %s", r.Body, want)
	}
}
