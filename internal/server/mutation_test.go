package server_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fealac/smegraph/internal/testenv"
)

const agencyFields = `id name names { lang text } acronym kind url country { code } version updatedAt sources { title }`

// TestAgencyMutations walks an agency through create, update (omitted vs null), conflict and
// delete, with the audit trail agreeing at each step.
func TestAgencyMutations(t *testing.T) {
	e := testenv.Seeded(t)
	admin := e.Token("center", "admin")

	var created struct {
		CreateAgency struct {
			Agency struct {
				ID, Name, Kind, URL, UpdatedAt string
				Acronym                        *string
				Version                        int
				Country                        struct{ Code string }
				Names                          []struct{ Lang, Text string }
			}
			UserErrors []any
		}
	}
	e.QueryAs(admin, `mutation($in: CreateAgencyInput!) { createAgency(input: $in) { agency { `+agencyFields+` } userErrors { field message code } } }`,
		map[string]any{"in": map[string]any{"country": "jpn", "name": " SME Agency ", "acronym": "SMEA", "kind": "AGENCY",
			"url": "WWW.Chusho.METI.go.jp/sme_english/", "names": []map[string]string{{"lang": "ja", "text": "中小企業庁"}}}}).MustData(t, &created)
	ag := created.CreateAgency.Agency
	if ag.Name != "SME Agency" || ag.Country.Code != "JP" || ag.Kind != "AGENCY" || ag.Version != 1 ||
		ag.URL != "http://www.chusho.meti.go.jp/sme_english/" || len(ag.Names) != 2 || ag.Names[1].Lang != "ja" {
		t.Fatalf("created: %+v", ag)
	}

	// Omitted fields stay; an explicit null clears.
	var updated struct {
		UpdateAgency struct {
			Agency *struct {
				Name    string
				Acronym *string
				URL     *string
				Version int
			}
			UserErrors []struct{ Field, Code string }
		}
	}
	e.QueryAs(admin, `mutation($in: UpdateAgencyInput!) { updateAgency(input: $in) { agency { name acronym url version } userErrors { field code } } }`,
		map[string]any{"in": map[string]any{"id": ag.ID, "expectedVersion": 1, "acronym": nil, "name": "Small and Medium Enterprise Agency"}}).MustData(t, &updated)
	if u := updated.UpdateAgency.Agency; u == nil || u.Name != "Small and Medium Enterprise Agency" || u.Acronym != nil || u.URL == nil || u.Version != 2 {
		t.Fatalf("updated: %+v %+v", u, updated.UpdateAgency.UserErrors)
	}

	// A stale version is a CONFLICT and writes nothing.
	e.QueryAs(admin, `mutation($in: UpdateAgencyInput!) { updateAgency(input: $in) { agency { name } userErrors { field code } } }`,
		map[string]any{"in": map[string]any{"id": ag.ID, "expectedVersion": 1, "name": "Lost update"}}).MustData(t, &updated)
	if updated.UpdateAgency.Agency != nil || len(updated.UpdateAgency.UserErrors) != 1 || updated.UpdateAgency.UserErrors[0].Code != "CONFLICT" {
		t.Errorf("stale update: %+v", updated.UpdateAgency)
	}

	// The audit trail has the create and the update, with before and after.
	var ch struct {
		Changes struct {
			TotalCount int
			Nodes      []struct {
				Actor, Node, Operation, At string
				Before, After              map[string]any
			}
		}
	}
	e.QueryAs(admin, `query($n: ID) { changes(node: $n) { totalCount nodes { actor node operation at before after } } }`, map[string]any{"n": ag.ID}).MustData(t, &ch)
	if ch.Changes.TotalCount != 2 || ch.Changes.Nodes[0].Operation != "CREATE" || ch.Changes.Nodes[1].Operation != "UPDATE" ||
		ch.Changes.Nodes[0].Before != nil || ch.Changes.Nodes[1].Before["acronym"] != "SMEA" || ch.Changes.Nodes[1].After["acronym"] != nil ||
		ch.Changes.Nodes[1].Actor != "center" {
		t.Fatalf("changes: %+v", ch.Changes)
	}
	var now struct {
		Agency struct{ UpdatedAt string }
	}
	e.Query(`query($id: ID!) { agency(id: $id) { updatedAt } }`, map[string]any{"id": ag.ID}).MustData(t, &now)
	if at := ch.Changes.Nodes[1].At; at != now.Agency.UpdatedAt {
		t.Errorf("updatedAt %s, audit %s", now.Agency.UpdatedAt, at)
	}

	var del struct {
		DeleteAgency struct {
			DeletedID  *string
			UserErrors []struct{ Code string }
		}
	}
	e.QueryAs(admin, `mutation($id: ID!) { deleteAgency(input: {id: $id, expectedVersion: 2}) { deletedId userErrors { code } } }`, map[string]any{"id": ag.ID}).MustData(t, &del)
	if del.DeleteAgency.DeletedID == nil || *del.DeleteAgency.DeletedID != ag.ID {
		t.Errorf("delete: %+v", del)
	}
	var gone struct{ Agency *struct{ ID string } }
	e.Query(`query($id: ID!) { agency(id: $id) { id } }`, map[string]any{"id": ag.ID}).MustData(t, &gone)
	if gone.Agency != nil {
		t.Error("the agency is still there")
	}
}

// TestValidationErrors checks that every kind of bad input comes back as userErrors naming
// the field, and writes nothing.
func TestValidationErrors(t *testing.T) {
	e := testenv.Seeded(t)
	admin := e.Token("center", "admin")
	cases := []struct {
		name, query string
		vars        map[string]any
		field, code string
	}{
		{"unknown country", `mutation { createAgency(input: {country: "XX", name: "A"}) { userErrors { field code message } } }`, nil, "country", "NOT_FOUND"},
		{"malformed URL", `mutation { createAgency(input: {country: "PE", name: "A", url: "ht!tp://"}) { userErrors { field code message } } }`, nil, "url", "BAD_USER_INPUT"},
		{"ftp URL", `mutation { createAgency(input: {country: "PE", name: "A", url: "ftp://x.pe"}) { userErrors { field code message } } }`, nil, "url", "BAD_USER_INPUT"},
		{"empty name", `mutation { createAgency(input: {country: "PE", name: "  "}) { userErrors { field code message } } }`, nil, "name", "BAD_USER_INPUT"},
		{"bad language tag", `mutation { createAgency(input: {country: "PE", name: "A", names: [{lang: "es_PE", text: "B"}]}) { userErrors { field code message } } }`, nil, "names[0].lang", "BAD_USER_INPUT"},
		{"until before since", `mutation { upsertMembership(input: {country: "PE", grouping: "apec", status: MEMBER, since: "2020-01-01", until: "2019-01-01", sources: ["x"]}) { userErrors { field code message } } }`, nil, "until", "BAD_USER_INPUT"},
		{"no sources", `mutation { upsertMembership(input: {country: "PE", grouping: "apec", status: MEMBER, since: "2020-01-01", sources: []}) { userErrors { field code message } } }`, nil, "sources", "BAD_USER_INPUT"},
		{"unknown grouping", `mutation { upsertMembership(input: {country: "PE", grouping: "nope", status: MEMBER, sources: ["x"]}) { userErrors { field code message } } }`, nil, "grouping", "NOT_FOUND"},
		{"unknown meeting", `mutation { createDecision(input: {meeting: "TWVldGluZzpGTU0tOTk", title: "T", kind: OTHER, sources: ["x"]}) { userErrors { field code message } } }`, nil, "meeting", "NOT_FOUND"},
		{"malformed meeting", `mutation { createDecision(input: {meeting: "x", title: "T", kind: OTHER, sources: ["x"]}) { userErrors { field code message } } }`, nil, "meeting", "BAD_USER_INPUT"},
		{"unknown agency", `mutation { updateAgency(input: {id: "QWdlbmN5OkFHLVpa", expectedVersion: 1, name: "A"}) { userErrors { field code message } } }`, nil, "id", "NOT_FOUND"},
		{"ID of another type", `mutation { deleteAgency(input: {id: "Q291bnRyeTpQRQ", expectedVersion: 1}) { userErrors { field code message } } }`, nil, "id", "BAD_USER_INPUT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.ResetCommands()
			r := e.QueryAs(admin, c.query, c.vars)
			var data map[string]struct {
				UserErrors []struct{ Field, Code, Message string }
			}
			r.MustData(t, &data)
			for _, p := range data {
				if len(p.UserErrors) == 0 || p.UserErrors[0].Field != c.field || p.UserErrors[0].Code != c.code || p.UserErrors[0].Message == "" {
					t.Errorf("%s", r.Body)
				}
			}
			for _, cmd := range e.Commands() {
				if cmd != "find" {
					t.Errorf("wrote %q", cmd)
				}
			}
		})
	}
}

// TestAuth checks UNAUTHENTICATED, FORBIDDEN (including a move to another country) and that
// neither writes anything; editors change their countries only.
func TestAuth(t *testing.T) {
	e := testenv.Seeded(t)
	editor := e.Token("peru-desk", "editor", "PE")
	both := e.Token("andes-desk", "editor", "PE", "CL")
	var peru struct {
		Agencies struct{ Nodes []struct{ ID string } }
	}
	e.Query(`{ agencies(filter: {country: {eq: "PE"}}) { nodes { id } } }`, nil).MustData(t, &peru)
	id := peru.Agencies.Nodes[0].ID

	for _, c := range []struct {
		name, token, query, code string
	}{
		{"no token", "", `mutation { createAgency(input: {country: "PE", name: "A"}) { userErrors { code } } }`, "UNAUTHENTICATED"},
		{"unknown token", "smg_nope", `mutation { createAgency(input: {country: "PE", name: "A"}) { userErrors { code } } }`, "UNAUTHENTICATED"},
		{"changes without token", "", `{ changes { totalCount } }`, "UNAUTHENTICATED"},
		{"other country", editor, `mutation { createAgency(input: {country: "CL", name: "A"}) { userErrors { code } } }`, "FORBIDDEN"},
		{"move out of scope", editor, `mutation($id: ID!) { updateAgency(input: {id: $id, expectedVersion: 1, country: "CL"}) { userErrors { code } } }`, "FORBIDDEN"},
		{"decisions are admins'", editor, `mutation { createDecision(input: {meeting: "TWVldGluZzpGTU0tNA", title: "T", kind: OTHER, sources: ["x"]}) { userErrors { code } } }`, "FORBIDDEN"},
		{"membership of another country", editor, `mutation { upsertMembership(input: {country: "AR", grouping: "apec", status: MEMBER, sources: ["x"]}) { userErrors { code } } }`, "FORBIDDEN"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.ResetCommands()
			r := e.QueryAs(c.token, c.query, map[string]any{"id": id})
			if len(r.Errors) != 1 || r.Errors[0].Code() != c.code {
				t.Errorf("%s", r.Body)
			}
			for _, cmd := range e.Commands() {
				if cmd != "find" {
					t.Errorf("wrote %q", cmd)
				}
			}
		})
	}

	// An editor of both countries may move the agency; the editor of Peru alone sees the
	// change, the editor of... everyone with PE does.
	var moved struct {
		UpdateAgency struct {
			Agency     *struct{ Country struct{ Code string } }
			UserErrors []any
		}
	}
	e.QueryAs(both, `mutation($id: ID!) { updateAgency(input: {id: $id, expectedVersion: 1, country: "CL"}) { agency { country { code } } userErrors { code } } }`,
		map[string]any{"id": id}).MustData(t, &moved)
	if moved.UpdateAgency.Agency == nil || moved.UpdateAgency.Agency.Country.Code != "CL" {
		t.Fatalf("move: %+v", moved)
	}
	var seen struct{ Changes struct{ TotalCount int } }
	e.QueryAs(editor, `{ changes { totalCount } }`, nil).MustData(t, &seen)
	if seen.Changes.TotalCount != 1 {
		t.Errorf("the editor of PE sees %d changes, want the move", seen.Changes.TotalCount)
	}
	other := e.Token("mexico-desk", "editor", "MX")
	e.QueryAs(other, `{ changes { totalCount } }`, nil).MustData(t, &seen)
	if seen.Changes.TotalCount != 0 {
		t.Errorf("the editor of MX sees %d changes", seen.Changes.TotalCount)
	}
	if strings.Contains(e.Logs(), editor) || strings.Contains(e.Logs(), both) {
		t.Error("a token reached the log")
	}
}

// TestConcurrentUpdates sends 50 updates carrying the same expected version at once: exactly
// one succeeds, the others are CONFLICTs, and the audit trail has one change.
func TestConcurrentUpdates(t *testing.T) {
	e := testenv.Seeded(t)
	admin := e.Token("center", "admin")
	var peru struct {
		Agencies struct {
			Nodes []struct {
				ID      string
				Version int
			}
		}
	}
	e.Query(`{ agencies(filter: {country: {eq: "PE"}}) { nodes { id version } } }`, nil).MustData(t, &peru)
	ag := peru.Agencies.Nodes[0]

	var wg sync.WaitGroup
	results := make([]string, 50)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.QueryAs(admin, `mutation($id: ID!, $v: Int!, $n: String) { updateAgency(input: {id: $id, expectedVersion: $v, acronym: $n}) { agency { version } userErrors { code } } }`,
				map[string]any{"id": ag.ID, "v": ag.Version, "n": string(rune('A' + i%26))})
			results[i] = string(r.Body)
		}()
	}
	wg.Wait()
	ok, conflicts := 0, 0
	for _, body := range results {
		switch {
		case strings.Contains(body, `"version":2`):
			ok++
		case strings.Contains(body, `"CONFLICT"`):
			conflicts++
		default:
			t.Errorf("unexpected: %s", body)
		}
	}
	if ok != 1 || conflicts != 49 {
		t.Errorf("%d succeeded, %d conflicts; want 1 and 49", ok, conflicts)
	}
	var ch struct{ Changes struct{ TotalCount int } }
	e.QueryAs(admin, `query($n: ID) { changes(node: $n) { totalCount } }`, map[string]any{"n": ag.ID}).MustData(t, &ch)
	if ch.Changes.TotalCount != 1 {
		t.Errorf("%d changes recorded, want 1", ch.Changes.TotalCount)
	}
}

// TestCrashMidChange simulates a process that died after recording a change and before
// settling it: once with the document written, once without. Prepare (at the next start)
// commits the first and aborts the second, freeing its version for the next writer.
func TestCrashMidChange(t *testing.T) {
	e := testenv.Seeded(t)
	admin := e.Token("center", "admin")
	ctx := t.Context()
	db := testenv.Client().Database(e.DB)
	var peru struct {
		Agencies struct{ Nodes []struct{ ID string } }
	}
	e.Query(`{ agencies(filter: {country: {in: ["PE", "CL", "CO"]}}) { nodes { id } } }`, nil).MustData(t, &peru)
	co, pe := peru.Agencies.Nodes[0].ID, peru.Agencies.Nodes[1].ID

	// Written, not settled: the agency is at version 2, its change pending.
	if _, err := db.Collection("agencies").UpdateOne(ctx, bson.D{{Key: "_id", Value: "AG-CO"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "version", Value: 2}, {Key: "acronym", Value: "MINCIT"}}}}); err != nil {
		t.Fatal(err)
	}
	pending := func(id, key, node string, version int) bson.D {
		return bson.D{{Key: "_id", Value: id}, {Key: "at", Value: time.Now()}, {Key: "actor", Value: "center"}, {Key: "node", Value: node},
			{Key: "nodeType", Value: "Agency"}, {Key: "operation", Value: "UPDATE"}, {Key: "collection", Value: "agencies"}, {Key: "key", Value: key},
			{Key: "version", Value: version}, {Key: "countries", Value: bson.A{key[3:5]}}, {Key: "state", Value: "pending"},
			{Key: "lock", Value: fmt.Sprintf("agencies/%s/%d", key, version)}}
	}
	// Not written: the agency is still at version 1.
	if _, err := db.Collection("changes").InsertMany(ctx, []any{pending("0001", "AG-CO", co, 2), pending("0002", "AG-PE", pe, 2)}); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	var ch struct {
		CO struct{ TotalCount int } `json:"co"`
		PE struct{ TotalCount int } `json:"pe"`
	}
	e.QueryAs(admin, `query($co: ID, $pe: ID) { co: changes(node: $co) { totalCount } pe: changes(node: $pe) { totalCount } }`,
		map[string]any{"co": co, "pe": pe}).MustData(t, &ch)
	if ch.CO.TotalCount != 1 || ch.PE.TotalCount != 0 {
		t.Errorf("settled: %+v, want the written change committed and the other aborted", ch)
	}
	// The aborted change no longer holds version 2 of Peru's agency.
	r := e.QueryAs(admin, `mutation($id: ID!) { updateAgency(input: {id: $id, expectedVersion: 1, acronym: "P"}) { agency { version } userErrors { code } } }`, map[string]any{"id": pe})
	if !strings.Contains(string(r.Body), `"version":2`) {
		t.Errorf("update after the aborted change: %s", r.Body)
	}
}

// TestMembershipAndDecisionMutations walks the other mutations through their happy paths and
// checks what the graph reads back.
func TestMembershipAndDecisionMutations(t *testing.T) {
	e := testenv.Seeded(t)
	admin := e.Token("center", "admin")
	editor := e.Token("mx-desk", "editor", "MX")

	// An editor adds Mexico to the Pacific Alliance's... rather, to CAN as an observer.
	r := e.QueryAs(editor, `mutation { upsertMembership(input: {country: "MEX", grouping: "can", status: OBSERVER, since: "2020-01-01",
		sources: ["https://www.comunidadandina.org/"]}) { membership { country { code } grouping { slug } status since until version sources { title url } } userErrors { code } } }`, nil)
	want := `{"upsertMembership":{"membership":{"country":{"code":"MX"},"grouping":{"slug":"can"},"status":"OBSERVER","since":"2020-01-01","until":null,"version":1,` +
		`"sources":[{"title":"www.comunidadandina.org","url":"https://www.comunidadandina.org/"}]},"userErrors":[]}}`
	if string(r.Data) != want {
		t.Fatalf("upsertMembership:\n%s\nwant\n%s", r.Body, want)
	}
	// Changing it needs its version; then it is ended.
	r = e.QueryAs(editor, `mutation { upsertMembership(input: {country: "MX", grouping: "can", status: OBSERVER, since: "2020-01-01", sources: ["x"]}) { userErrors { code } } }`, nil)
	if !strings.Contains(string(r.Body), "CONFLICT") {
		t.Errorf("upsert without expectedVersion: %s", r.Body)
	}
	r = e.QueryAs(editor, `mutation { endMembership(input: {country: "MX", grouping: "can", since: "2020-01-01", until: "2024-01-01", expectedVersion: 1}) { membership { until version } userErrors { code } } }`, nil)
	if string(r.Data) != `{"endMembership":{"membership":{"until":"2024-01-01","version":2},"userErrors":[]}}` {
		t.Errorf("endMembership: %s", r.Body)
	}
	var mx struct {
		Y2022 struct {
			Memberships []struct{ Grouping struct{ Slug string } }
		} `json:"y2022"`
		Y2025 struct {
			Memberships []struct{ Grouping struct{ Slug string } }
		} `json:"y2025"`
	}
	e.Query(`{ y2022: country(code: "MX") { memberships(asOf: "2022-06-01") { grouping { slug } } }
		y2025: country(code: "MX") { memberships(asOf: "2025-06-01") { grouping { slug } } } }`, nil).MustData(t, &mx)
	if len(mx.Y2022.Memberships) != len(mx.Y2025.Memberships)+1 {
		t.Errorf("the ended membership: 2022 %v, 2025 %v", mx.Y2022.Memberships, mx.Y2025.Memberships)
	}

	// Decisions: create, then update with omitted and null fields.
	r = e.QueryAs(admin, `mutation { createDecision(input: {meeting: "TWVldGluZzpGTU0tMTA", title: "Decision on the SME center platform", kind: DECISION,
		topics: ["SME", "sme", "Platform"], summary: "Test.", countries: ["ECU"], groupings: ["wg-titm"], sources: ["FEALAC SME center brief"]}) {
		decision { id title kind topics summary countries { code } groupings { slug } meeting { number } version } userErrors { code } } }`, nil)
	var cd struct {
		CreateDecision struct {
			Decision struct {
				ID, Title string
				Topics    []string
				Version   int
				Meeting   struct{ Number int }
			}
		}
	}
	r.MustData(t, &cd)
	d := cd.CreateDecision.Decision
	if d.Title != "Decision on the SME center platform" || strings.Join(d.Topics, ",") != "sme,platform" || d.Meeting.Number != 10 || d.Version != 1 {
		t.Fatalf("createDecision: %s", r.Body)
	}
	r = e.QueryAs(admin, `mutation($id: ID!) { updateDecision(input: {id: $id, expectedVersion: 1, summary: null, titles: [{lang: "es", text: "Decisión"}]}) {
		decision { title es: title(lang: "es") summary topics version } userErrors { code } } }`, map[string]any{"id": d.ID})
	if string(r.Data) != `{"updateDecision":{"decision":{"title":"Decision on the SME center platform","es":"Decisión","summary":null,"topics":["sme","platform"],"version":2},"userErrors":[]}}` {
		t.Errorf("updateDecision: %s", r.Body)
	}
	// The new decision is found by the filters and search like the shipped ones.
	var found struct {
		Decisions struct{ TotalCount int }
	}
	e.Query(`{ decisions(filter: {country: {eq: "EC"}, topic: {eq: "platform"}}) { totalCount } }`, nil).MustData(t, &found)
	if found.Decisions.TotalCount != 1 {
		t.Errorf("the new decision is not filtered: %d", found.Decisions.TotalCount)
	}
}

// TestConcurrentCreates checks that concurrent decision creations all succeed with distinct
// sequence numbers, and that of concurrent creations of one membership period exactly one wins.
func TestConcurrentCreates(t *testing.T) {
	e := testenv.Seeded(t)
	admin := e.Token("center", "admin")
	var wg sync.WaitGroup
	bodies := make([]string, 10)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bodies[i] = string(e.QueryAs(admin, `mutation { createDecision(input: {meeting: "TWVldGluZzpGTU0tMTA", title: "T", kind: OTHER, sources: ["x"]}) { decision { id } userErrors { code } } }`, nil).Body)
		}()
	}
	wg.Wait()
	for _, b := range bodies {
		if !strings.Contains(b, `"userErrors":[]`) {
			t.Errorf("concurrent createDecision: %s", b)
		}
	}
	var n struct{ Decisions struct{ TotalCount int } }
	e.Query(`{ decisions { totalCount } }`, nil).MustData(t, &n)
	if n.Decisions.TotalCount != 22+10 {
		t.Errorf("%d decisions", n.Decisions.TotalCount)
	}

	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bodies[i] = string(e.QueryAs(admin, `mutation { upsertMembership(input: {country: "MX", grouping: "can", status: OBSERVER, since: "2020-01-01", sources: ["x"]}) { membership { version } userErrors { code } } }`, nil).Body)
		}()
	}
	wg.Wait()
	created := 0
	for _, b := range bodies {
		if strings.Contains(b, `"version":1`) {
			created++
		} else if !strings.Contains(b, "CONFLICT") {
			t.Errorf("concurrent upsertMembership: %s", b)
		}
	}
	if created != 1 {
		t.Errorf("%d creations of one membership period won, want 1", created)
	}
}
