package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fealac/smegraph/internal/readmodel"
	"github.com/fealac/smegraph/internal/seed"
	"github.com/fealac/smegraph/internal/server"
	"github.com/fealac/smegraph/internal/store"
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

// signature is what one response of TestBulkWriteIsAtomic says about the agencies: the
// response must be wholly before or wholly after the bulk write.
type signature struct {
	Total, Nodes, PE, Stats int
	HasNext                 bool
	Last                    string
}

const bulkReadQuery = `{
	agencies { totalCount }
	a: agencies(first: 100) { nodes { id } pageInfo { hasNextPage } }
	z: agencies(last: 1) { nodes { id } }
	pe: country(code: "PE") { agencies { id } }
	stats { agencies }
}`

// signatureOf reads the signature of a response to bulkReadQuery from e's server. It may
// run in a goroutine of its own: it returns its errors.
func signatureOf(e *testenv.Env) (signature, error) {
	resp, err := http.Post(e.Server.URL+server.GraphQLPath, "application/json", strings.NewReader(`{"query":`+strconv.Quote(bulkReadQuery)+`}`))
	if err != nil {
		return signature{}, err
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			Agencies struct{ TotalCount int }
			A        struct {
				Nodes    []struct{ ID string }
				PageInfo struct{ HasNextPage bool }
			}
			Z  struct{ Nodes []struct{ ID string } }
			PE struct{ Agencies []struct{ ID string } }
			// stats counts the agencies of FEALAC's members, which all the agencies here are.
			Stats struct{ Agencies int }
		}
		Errors []any
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || len(r.Errors) > 0 {
		return signature{}, fmt.Errorf("response: %v %v", err, r.Errors)
	}
	d := r.Data
	s := signature{Total: d.Agencies.TotalCount, Nodes: len(d.A.Nodes), HasNext: d.A.PageInfo.HasNextPage, PE: len(d.PE.Agencies), Stats: d.Stats.Agencies}
	if len(d.Z.Nodes) == 1 {
		s.Last = d.Z.Nodes[0].ID
	}
	return s, nil
}

// TestBulkWriteIsAtomic checks that readers running while a bulk write of 600 agencies is
// applied see it whole or not at all: in every response, the totalCount, the first page, the
// last node, a country's agencies and the stats all agree with the state before the write or
// with the state after it. The write comes from this process's store (the read model applies
// it through the listener), then from another store (another process: the read model reads
// the collection again when the change feed names it).
func TestBulkWriteIsAtomic(t *testing.T) {
	e := testenv.Seeded(t)
	agencies, err := seed.Synthetic(1200)
	if err != nil {
		t.Fatal(err)
	}
	other := store.New(testenv.Client(), e.DB)
	for _, w := range []struct {
		name string
		s    *store.Store
		ags  []*store.Agency
	}{{"this process", e.Store, agencies[:600]}, {"another process", other, agencies[600:]}} {
		t.Run(w.name, func(t *testing.T) {
			sig := func() signature {
				t.Helper()
				s, err := signatureOf(e)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			old := sig()
			var writing, stop atomic.Bool
			var during atomic.Int64
			var mu sync.Mutex
			seen := map[signature]int{}
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for !stop.Load() {
						started := writing.Load()
						s, err := signatureOf(e)
						if err != nil {
							t.Error(err)
							return
						}
						if started && writing.Load() {
							during.Add(1)
						}
						mu.Lock()
						seen[s]++
						mu.Unlock()
					}
				})
			}
			start := time.Now()
			writing.Store(true)
			if _, err := w.s.Apply(context.Background(), &store.Dataset{Agencies: w.ags}, testenv.SeedTime); err != nil {
				t.Fatal(err)
			}
			writing.Store(false)
			took := time.Since(start)
			// The new state: at once from this process's store, within a few polls from the
			// other.
			var now signature
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				if now = sig(); now.Total == old.Total+len(w.ags) || time.Now().After(deadline) {
					break
				}
			}
			stop.Store(true)
			wg.Wait()
			if now.Total != old.Total+len(w.ags) || now.Stats != old.Stats+len(w.ags) || now.Nodes != 100 || !now.HasNext {
				t.Fatalf("after the write: %+v, before %+v", now, old)
			}
			for s, n := range seen {
				if s != old && s != now {
					t.Errorf("%d responses saw a half-applied write: %+v (before %+v, after %+v)", n, s, old, now)
				}
			}
			t.Logf("the write took %s; %d responses, %d of them wholly during the write: %d before, %d after",
				took.Round(time.Millisecond), func() (n int) {
					for _, c := range seen {
						n += c
					}
					return n
				}(), during.Load(), seen[old], seen[now])
			if during.Load() == 0 {
				t.Error("no response ran wholly during the write: the test checked nothing")
			}
		})
	}
}

// TestFirstLoadFailure checks a process whose first load of the reference data fails (a
// malformed document): /readyz answers 503, reads answer DATABASE_UNAVAILABLE with the safe
// message of an unloaded model, the load is retried (the cause logged), and once the
// document is removed the process becomes ready and answers reads, without a restart.
func TestFirstLoadFailure(t *testing.T) {
	e := testenv.Seeded(t)
	// A client of its own that counts the reads of the agencies collection: each load
	// attempt is one.
	var finds atomic.Int64
	client, err := mongo.Connect(options.Client().ApplyURI(testenv.URI).SetMonitor(&event.CommandMonitor{
		Started: func(_ context.Context, ev *event.CommandStartedEvent) {
			if ev.DatabaseName == e.DB && ev.CommandName == "find" {
				if coll, ok := ev.Command.Lookup("find").StringValueOK(); ok && coll == "agencies" {
					finds.Add(1)
				}
			}
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	s := store.New(client, e.DB)
	if err := s.Prepare(t.Context()); err != nil {
		t.Fatal(err)
	}
	agencies := testenv.Client().Database(e.DB).Collection("agencies")
	if _, err := agencies.InsertOne(t.Context(), bson.D{{Key: "_id", Value: "AG-BAD"}, {Key: "country", Value: "PE"}, {Key: "version", Value: "not a number"}}); err != nil {
		t.Fatal(err)
	}

	var logs testenv.Buffer
	m := readmodel.New(s, slog.New(slog.NewTextHandler(&logs, nil)))
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	go m.Run(ctx, readmodel.Options{Poll: 50 * time.Millisecond})
	srv := httptest.NewServer(server.New(s, m, slog.New(slog.NewTextHandler(&logs, nil))))
	t.Cleanup(srv.Close)
	ready := func() int {
		t.Helper()
		resp, err := http.Get(srv.URL + server.ReadyPath)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	query := func() *testenv.Response {
		t.Helper()
		resp, err := http.Post(srv.URL+server.GraphQLPath, "application/json",
			strings.NewReader(`{"query":"{ country(code: \"PE\") { name } agencies { totalCount } }"}`))
		if err != nil {
			t.Fatal(err)
		}
		return testenv.Decode(t, resp)
	}

	// Retried: several load attempts, the cause logged (once: failures are logged at most
	// once a minute, with their count).
	for deadline := time.Now().Add(5 * time.Second); finds.Load() < 3 || !strings.Contains(logs.String(), "loading the reference data failed; retrying"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d load attempts in 5 s; log:\n%s", finds.Load(), logs.String())
		}
	}
	if !strings.Contains(logs.String(), "version") {
		t.Errorf("the log does not name the cause:\n%s", logs.String())
	}
	if st := m.Status(); st.Loaded || st.Reloads != 0 {
		t.Errorf("status while failing: %+v", st)
	}
	if code := ready(); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d while the load fails, want 503", code)
	}
	r := query()
	testenv.LeakCheck(t, r.Body)
	if len(r.Errors) == 0 || string(r.Data) != "null" && len(r.Data) > 0 {
		t.Errorf("a read while the load fails: %s", r.Body)
	}
	for _, e := range r.Errors {
		if e.Code() != "DATABASE_UNAVAILABLE" || e.Message != readmodel.ErrNotLoaded.Message {
			t.Errorf("error %+v", e)
		}
	}

	// Repaired: ready within the retry backoff, and reads answer.
	if _, err := agencies.DeleteOne(t.Context(), bson.D{{Key: "_id", Value: "AG-BAD"}}); err != nil {
		t.Fatal(err)
	}
	repaired := time.Now()
	for ready() != http.StatusOK {
		if time.Since(repaired) > 10*time.Second {
			t.Fatalf("/readyz not 200 10 s after the repair; status %+v", m.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("ready %s after the repair, after %d load attempts", time.Since(repaired).Round(time.Millisecond), finds.Load())
	var data struct {
		Country  struct{ Name string }
		Agencies struct{ TotalCount int }
	}
	query().MustData(t, &data)
	if data.Country.Name != "Peru" || data.Agencies.TotalCount != 18 {
		t.Errorf("reads after the repair: %+v", data)
	}
}

// metrics reads the samples of /metrics at url, by series as written ("name" or
// "name{labels}").
func metrics(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url + server.MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return out
}

// TestSnapshotMetrics checks that /metrics follows the snapshot: the generation moves with
// this process's mutation at once, and with another process's writes once the change feed
// brings them; a small write of another process is applied from the feed's documents, a bulk
// one by reading the collection again, which the reload counter and histogram count.
func TestSnapshotMetrics(t *testing.T) {
	e := testenv.Seeded(t)
	o := server.Defaults()
	o.Metrics = server.NewMetrics()
	s := store.New(testenv.Client(), e.DB)
	if err := s.Prepare(t.Context()); err != nil {
		t.Fatal(err)
	}
	m := readmodel.New(s, slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(server.NewWith(s, m, slog.New(slog.DiscardHandler), o))
	t.Cleanup(srv.Close)
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	go m.Run(ctx, readmodel.Options{Poll: testenv.SyncInterval})
	const (
		generation = "smegraph_snapshot_generation"
		reloads    = "smegraph_snapshot_reloads_total"
		reloadRuns = `smegraph_snapshot_reload_duration_seconds_count{kind="reload"}`
		loadRuns   = `smegraph_snapshot_reload_duration_seconds_count{kind="load"}`
	)
	var before map[string]float64
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if before = metrics(t, srv.URL); before[reloads] == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no first load: %v", before)
		}
	}
	if before[loadRuns] != 1 || before["smegraph_snapshot_age_seconds"] < 0 {
		t.Errorf("after the first load: %s %v, age %v", loadRuns, before[loadRuns], before["smegraph_snapshot_age_seconds"])
	}

	// This process's mutation: the generation moves before the response.
	admin := e.Token("center", "admin")
	body, _ := json.Marshal(map[string]any{"query": `mutation { createAgency(input: {country: "JP", name: "Metered agency"}) { agency { id } } }`})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+server.GraphQLPath, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if r := testenv.Decode(t, resp); len(r.Errors) > 0 {
		t.Fatalf("createAgency: %s", r.Body)
	}
	after := metrics(t, srv.URL)
	if after[generation] != before[generation]+1 || after[reloads] != before[reloads] {
		t.Errorf("after a mutation: generation %v → %v, reloads %v → %v", before[generation], after[generation], before[reloads], after[reloads])
	}

	// Another process (another store): its writes come through the change feed only.
	other := store.New(testenv.Client(), e.DB)
	ags, err := seed.Synthetic(60)
	if err != nil {
		t.Fatal(err)
	}
	waitFor := func(what string, ok func(map[string]float64) bool) map[string]float64 {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			got := metrics(t, srv.URL)
			if ok(got) {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s %v, %s %v", what, generation, got[generation], reloads, got[reloads])
			}
		}
	}
	if _, err := other.Apply(t.Context(), &store.Dataset{Agencies: ags[:3]}, testenv.SeedTime); err != nil {
		t.Fatal(err)
	}
	small := waitFor("a small write of another process", func(m map[string]float64) bool { return m[generation] == after[generation]+1 })
	if small[reloads] != after[reloads] {
		t.Errorf("a write of 3 documents was applied by reading collections again: reloads %v → %v", after[reloads], small[reloads])
	}
	if _, err := other.Apply(t.Context(), &store.Dataset{Agencies: ags[3:]}, testenv.SeedTime); err != nil {
		t.Fatal(err)
	}
	bulk := waitFor("a bulk write of another process", func(m map[string]float64) bool { return m[reloads] > small[reloads] })
	if bulk[reloads] != small[reloads]+1 || bulk[reloadRuns] != small[reloadRuns]+1 || bulk[generation] != small[generation]+1 {
		t.Errorf("after a bulk write of another process: reloads %v → %v, %s %v → %v, generation %v → %v",
			small[reloads], bulk[reloads], reloadRuns, small[reloadRuns], bulk[reloadRuns], small[generation], bulk[generation])
	}
	resp, err = http.Post(srv.URL+server.GraphQLPath, "application/json", strings.NewReader(`{"query":"{ agencies { totalCount } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	var n struct{ Agencies struct{ TotalCount int } }
	testenv.Decode(t, resp).MustData(t, &n)
	if n.Agencies.TotalCount != 18+1+60 {
		t.Errorf("%d agencies after the writes, want %d", n.Agencies.TotalCount, 18+1+60)
	}
	t.Logf("generation %v → %v; reloads %v → %v", before[generation], bulk[generation], before[reloads], bulk[reloads])
}

// TestRestoredAgencyShows checks that an agency deleted and then restored from an export (an
// import writes it anew, at version 1) shows again at once: in this process, whose read model
// learns of both writes from the store, and in another, which learns of them from the change
// feed.
func TestRestoredAgencyShows(t *testing.T) {
	e := testenv.Seeded(t)
	admin := e.Token("center", "admin")
	// Another process's read model, in step before the delete.
	other := readmodel.New(store.New(testenv.Client(), e.DB), slog.New(slog.DiscardHandler))
	if err := other.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	const pe = "QWdlbmN5OkFHLVBF" // Peru's agency, AG-PE
	saved, err := e.Store.Agency(t.Context(), "AG-PE")
	if err != nil {
		t.Fatal(err)
	}
	if r := e.QueryAs(admin, `mutation($id: ID!, $v: Int!) { deleteAgency(input: {id: $id, expectedVersion: $v}) { deletedId } }`,
		map[string]any{"id": pe, "v": saved.Version}); !strings.Contains(string(r.Body), pe) {
		t.Fatalf("delete: %s", r.Body)
	}
	// Restored as an import restores it (audited, as the command line).
	if _, err := e.Store.ApplyWith(t.Context(), &store.Dataset{Agencies: []*store.Agency{saved}}, time.Now(), store.ApplyOptions{Actor: store.CLIActor}); err != nil {
		t.Fatal(err)
	}
	restored, err := e.Store.Agency(t.Context(), "AG-PE")
	if err != nil {
		t.Fatalf("the restored agency is not stored: %v", err)
	}
	var after struct{ Agency *struct{ Name string } }
	e.Query(`query($id: ID!) { agency(id: $id) { name } }`, map[string]any{"id": pe}).MustData(t, &after)
	if after.Agency == nil {
		t.Errorf("this process: the agency is stored again (version %d) but agency(id) is null", restored.Version)
	}
	gen, err := e.Store.Generation(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); other.Status().Generation < gen; time.Sleep(10 * time.Millisecond) {
		if err := other.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other model did not reach generation %d: %+v", gen, other.Status())
		}
	}
	if other.Current().Agency("AG-PE") == nil {
		t.Errorf("another process: the agency is stored again (version %d) but its snapshot lacks it", restored.Version)
	}
}
