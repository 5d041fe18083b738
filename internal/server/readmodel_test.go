package server_test

import (
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/fealac/smegraph/internal/readmodel"
	"github.com/fealac/smegraph/internal/server"
	"github.com/fealac/smegraph/internal/testenv"
)

// Tests of the in-memory read model through the real handler (issue #8): a write shows in
// its own response and the next request, a reader sees a bulk write whole or not at all,
// a failed first load keeps the process unready and retrying, and /metrics follows the
// snapshot.

// unpolled returns an Env over e's database whose server answers from a read model loaded
// once and never synced with the change feed: whatever it shows after a write reached it
// through the store's listener, before the write's response was sent.
func unpolled(t *testing.T, e *testenv.Env) *testenv.Env {
	t.Helper()
	m := readmodel.New(e.Store, slog.New(slog.DiscardHandler))
	if err := m.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	other := *e
	other.Model = m
	other.Server = httptest.NewServer(server.New(e.Store, m, slog.New(slog.DiscardHandler)))
	t.Cleanup(other.Server.Close)
	return &other
}

// readBack is what TestReadYourWrites reads after each mutation: every kind of read that
// answers from the snapshot.
type readBack struct {
	Country struct {
		Agencies []struct{ ID, Name string }
	}
	Agencies struct {
		TotalCount int
		Nodes      []struct{ ID, Name string }
	}
	JP struct {
		TotalCount int
	} `json:"jp"`
	Node *struct {
		ID, Name string
		Version  int
	}
	Search []struct {
		Node struct{ ID string }
	}
	Stats struct{ Agencies int }
	Can   struct {
		Members []struct{ Code string }
	} `json:"can"`
}

const readBackQuery = `query($id: ID!, $text: String!) {
	country(code: "JP") { agencies { id name } }
	agencies(first: 100) { totalCount nodes { id name } }
	jp: agencies(filter: {country: {eq: "JPN"}}) { totalCount }
	node(id: $id) { ... on Agency { id name version } }
	search(text: $text, types: [AGENCY]) { node { ... on Agency { id } } }
	stats { agencies }
	can: grouping(slug: "can") { members(asOf: "2021-06-01") { code } }
}`

func (r readBack) countryHas(id, name string) bool {
	return slices.ContainsFunc(r.Country.Agencies, func(a struct{ ID, Name string }) bool { return a.ID == id && a.Name == name })
}

func (r readBack) listHas(id, name string) bool {
	return slices.ContainsFunc(r.Agencies.Nodes, func(a struct{ ID, Name string }) bool { return a.ID == id && a.Name == name })
}

func (r readBack) found(id string) bool {
	return slices.ContainsFunc(r.Search, func(h struct{ Node struct{ ID string } }) bool { return h.Node.ID == id })
}

func (r readBack) canMembers() []string {
	var out []string
	for _, m := range r.Can.Members {
		out = append(out, m.Code)
	}
	return out
}

// TestReadYourWrites checks that a mutation's payload and the very next request show the
// mutation, in every read of the snapshot (a country's agencies, the agencies connection and
// its totalCount, node, search, stats, a grouping's members on a date), without waiting: the
// server's read model never polls the change feed, so the writes reached it through the
// store before the response.
func TestReadYourWrites(t *testing.T) {
	e := unpolled(t, testenv.Seeded(t))
	admin := e.Token("center", "admin")
	read := func(id, text string) readBack {
		t.Helper()
		var r readBack
		e.Query(readBackQuery, map[string]any{"id": id, "text": text}).MustData(t, &r)
		return r
	}
	before := read("QWdlbmN5OkFHLVBF", "Quokka")

	// Create.
	var created struct {
		CreateAgency struct {
			Agency struct {
				ID, Name string
				Version  int
				Country  struct {
					Agencies []struct{ ID string }
				}
			}
			UserErrors []any
		}
	}
	e.QueryAs(admin, `mutation { createAgency(input: {country: "JP", name: "Quokka SME Office", kind: AGENCY, url: "https://example.org/quokka"}) {
		agency { id name version country { agencies { id } } } userErrors { field } } }`, nil).MustData(t, &created)
	ag := created.CreateAgency.Agency
	if ag.ID == "" || len(ag.Country.Agencies) != len(before.Country.Agencies)+1 ||
		!slices.ContainsFunc(ag.Country.Agencies, func(a struct{ ID string }) bool { return a.ID == ag.ID }) {
		t.Fatalf("createAgency's payload does not show the new agency in its country: %+v", created.CreateAgency)
	}
	r := read(ag.ID, "Quokka")
	if !r.countryHas(ag.ID, "Quokka SME Office") || !r.listHas(ag.ID, "Quokka SME Office") || r.Agencies.TotalCount != before.Agencies.TotalCount+1 ||
		r.JP.TotalCount != before.JP.TotalCount+1 || r.Node == nil || r.Node.Version != 1 || !r.found(ag.ID) || r.Stats.Agencies != before.Stats.Agencies+1 {
		t.Errorf("after createAgency:\n%+v\nbefore:\n%+v", r, before)
	}

	// Update.
	var updated struct {
		UpdateAgency struct {
			Agency struct {
				Name    string
				Version int
				Country struct {
					Agencies []struct{ Name string }
				}
			}
		}
	}
	e.QueryAs(admin, `mutation($id: ID!) { updateAgency(input: {id: $id, expectedVersion: 1, name: "Wombat SME Office"}) {
		agency { name version country { agencies { name } } } } }`, map[string]any{"id": ag.ID}).MustData(t, &updated)
	if u := updated.UpdateAgency.Agency; u.Name != "Wombat SME Office" || u.Version != 2 ||
		!slices.ContainsFunc(u.Country.Agencies, func(a struct{ Name string }) bool { return a.Name == "Wombat SME Office" }) {
		t.Errorf("updateAgency's payload: %+v", u)
	}
	r = read(ag.ID, "Wombat")
	if !r.countryHas(ag.ID, "Wombat SME Office") || !r.listHas(ag.ID, "Wombat SME Office") || r.Agencies.TotalCount != before.Agencies.TotalCount+1 ||
		r.Node == nil || r.Node.Name != "Wombat SME Office" || r.Node.Version != 2 || !r.found(ag.ID) {
		t.Errorf("after updateAgency: %+v", r)
	}
	if old := read(ag.ID, "Quokka"); old.found(ag.ID) {
		t.Error("search still finds the agency by its old name")
	}

	// Delete.
	var deleted struct {
		DeleteAgency struct {
			DeletedID  *string
			UserErrors []any
		}
	}
	e.QueryAs(admin, `mutation($id: ID!) { deleteAgency(input: {id: $id, expectedVersion: 2}) { deletedId userErrors { field } } }`,
		map[string]any{"id": ag.ID}).MustData(t, &deleted)
	if deleted.DeleteAgency.DeletedID == nil || *deleted.DeleteAgency.DeletedID != ag.ID {
		t.Fatalf("deleteAgency: %+v", deleted.DeleteAgency)
	}
	r = read(ag.ID, "Wombat")
	if len(r.Country.Agencies) != len(before.Country.Agencies) || r.listHas(ag.ID, "Wombat SME Office") || r.Agencies.TotalCount != before.Agencies.TotalCount ||
		r.JP.TotalCount != before.JP.TotalCount || r.Node != nil || r.found(ag.ID) || r.Stats.Agencies != before.Stats.Agencies {
		t.Errorf("after deleteAgency: %+v", r)
	}

	// A membership: the grouping's members on a date, in the payload and the next request.
	if slices.Contains(before.canMembers(), "MX") {
		t.Fatalf("Mexico is a CAN member already: %v", before.canMembers())
	}
	var upserted struct {
		UpsertMembership struct {
			Membership struct {
				Grouping struct {
					Members []struct{ Code string }
				}
			}
			UserErrors []struct{ Field, Code, Message string }
		}
	}
	e.QueryAs(admin, `mutation { upsertMembership(input: {country: "MX", grouping: "can", status: MEMBER, since: "2020-01-01", sources: ["https://www.comunidadandina.org/"]}) {
		membership { grouping { members(asOf: "2021-06-01") { code } } } userErrors { field code message } } }`, nil).MustData(t, &upserted)
	if ue := upserted.UpsertMembership.UserErrors; len(ue) > 0 {
		t.Fatalf("upsertMembership: %+v", ue)
	}
	var payload []string
	for _, m := range upserted.UpsertMembership.Membership.Grouping.Members {
		payload = append(payload, m.Code)
	}
	if !slices.Contains(payload, "MX") || len(payload) != len(before.Can.Members)+1 {
		t.Errorf("upsertMembership's payload: members %v, before %v", payload, before.canMembers())
	}
	if got := read(ag.ID, "x").canMembers(); !slices.Contains(got, "MX") || len(got) != len(before.Can.Members)+1 {
		t.Errorf("after upsertMembership: members %v, before %v", got, before.canMembers())
	}
}

// TestMutationsInOneOperation checks that the mutations of one operation each see the ones
// before them and not the ones after: the payload of the second lists both new agencies, the
// payload of the first only its own.
func TestMutationsInOneOperation(t *testing.T) {
	e := unpolled(t, testenv.Seeded(t))
	admin := e.Token("center", "admin")
	r := e.QueryAs(admin, `mutation {
		a: createAgency(input: {country: "KR", name: "First new agency"}) { agency { id country { agencies { name } } } }
		b: createAgency(input: {country: "KR", name: "Second new agency"}) { agency { id country { agencies { name } } } }
	}`, nil)
	type payload struct {
		Agency struct {
			ID      string
			Country struct {
				Agencies []struct{ Name string }
			}
		}
	}
	var data struct{ A, B payload }
	r.MustData(t, &data)
	names := func(p payload) []string {
		var out []string
		for _, a := range p.Agency.Country.Agencies {
			if strings.HasSuffix(a.Name, "new agency") {
				out = append(out, a.Name)
			}
		}
		slices.Sort(out)
		return out
	}
	if got := names(data.A); !slices.Equal(got, []string{"First new agency"}) {
		t.Errorf("a's payload lists %v, want its own agency only", got)
	}
	if got := names(data.B); !slices.Equal(got, []string{"First new agency", "Second new agency"}) {
		t.Errorf("b's payload lists %v, want both new agencies", got)
	}
}
