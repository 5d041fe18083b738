package server_test

import (
	"encoding/json"
	"strings"
	"testing"

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
		{"Portuguese name, no accent", `{ c: countries(filter: {name: {contains: "japao"}}) { nodes { code } } }`, "JP"},
		{"name eq exact", `{ c: countries(filter: {name: {eq: "Perú"}}) { nodes { code } } }`, "PE"},
		{"regex metacharacters are plain", `{ c: countries(filter: {name: {contains: ".*"}}) { nodes { code } } }`, ""},
		{"unbalanced bracket", `{ c: countries(filter: {name: {contains: "(["}}) { nodes { code } } }`, ""},
		{"any ISO form", `{ c: countries(filter: {code: {in: ["per", "032", "CHL"]}}) { nodes { code } } }`, "AR CL PE"},
		{"code nin", `{ c: countries(filter: {code: {nin: ["AR", "AUS", "076"]}, region: {eq: "latin-america"}}) { nodes { code } } }`, "BO CL CO CR CU DO EC GT HN MX NI PA PE PY SR SV UY VE"},
		{"region and hasAgencyURL", `{ c: countries(filter: {region: {eq: "east-asia"}, hasAgencyURL: false}) { nodes { code } } }`, "BN JP MN PH TH VN"},
		{"or", `{ c: countries(filter: {or: [{code: {eq: "PE"}}, {name: {startsWith: "Cu"}}]}) { nodes { code } } }`, "CU PE"},
		{"and of or", `{ c: countries(filter: {and: [{or: [{region: {eq: "east-asia"}}, {code: {eq: "PE"}}]}, {grouping: {eq: "apec"}}], name: {contains: "a"}}) { nodes { code } } }`, "AU CN ID JP KR MY NZ PH SG TH VN"},
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
	e.Query(`query($c: String) { agencies(first: 5, after: $c, orderBy: [{field: NAME}], filter: {region: {eq: "east-asia"}}) { nodes { acronym } } }`,
		map[string]any{"c": p1.Agencies.PageInfo.EndCursor}).MustData(t, &struct{}{})
	var find bson.Raw
	for _, d := range e.CommandDocs() {
		if _, err := d.LookupErr("find"); err == nil {
			find = d
		}
	}
	if find == nil {
		t.Fatal("no find sent")
	}
	var cmd struct {
		Filter bson.D `bson:"filter"`
		Sort   bson.D `bson:"sort"`
		Limit  int64  `bson:"limit"`
		Skip   *int64 `bson:"skip"`
	}
	if err := bson.Unmarshal(find, &cmd); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(map[string]any{"filter": cmd.Filter, "sort": cmd.Sort})
	want := `{"filter":{"$and":[{"region":{"$eq":"east-asia"}},{"$or":[{"sortName":{"$gt":"1ministry of commerce"}},` +
		`{"sortName":"1ministry of commerce","_id":{"$gt":"AG-MM"}}]}]},"sort":{"sortName":1,"_id":1}}`
	if string(got) != want {
		t.Errorf("find sent\n%s\nwant\n%s", got, want)
	}
	if cmd.Limit != 6 || cmd.Skip != nil {
		t.Errorf("limit %d skip %v, want limit 6 and no skip", cmd.Limit, cmd.Skip)
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
	if got := join(codes(t, e, `{ c: countries(filter: {name: {contains: "peru"}}) { nodes { code } } }`, nil)); got != "" {
		t.Fatalf("before Prepare: %q", got)
	}
	if err := e.Store.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	if got := join(codes(t, e, `{ c: countries(filter: {name: {contains: "peru"}}) { nodes { code } } }`, nil)); got != "PE" {
		t.Errorf("after Prepare: %q", got)
	}
	var v struct{ Version int }
	if err := db.Collection("countries").FindOne(ctx, bson.D{{Key: "_id", Value: "PE"}}).Decode(&v); err != nil || v.Version != 1 {
		t.Errorf("version %d, %v", v.Version, err)
	}
}
