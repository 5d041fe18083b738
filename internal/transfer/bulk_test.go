package transfer_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fealac/smegraph/internal/seed"
	"github.com/fealac/smegraph/internal/store"
	"github.com/fealac/smegraph/internal/testenv"
	"github.com/fealac/smegraph/internal/transfer"
)

// syntheticCSV returns a csv import file of n new agencies, spread over the member countries
// (seed.Synthetic's, without their keys).
func syntheticCSV(t testing.TB, n int) []byte {
	t.Helper()
	ags, err := seed.Synthetic(n)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := seed.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, c := range ds.Countries {
		names[c.Code] = c.Names[0].Text
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"country", "countryName", "agencyId", "agencyName", "acronym", "kind", "url"})
	for i, a := range ags {
		_ = w.Write([]string{a.Country, names[a.Country], "", a.Names[0].Text, fmt.Sprintf("S%d", i), string(a.Kind), *a.URL})
	}
	w.Flush()
	return b.Bytes()
}

// count returns the number of documents of coll in e's database that filter selects.
func count(t testing.TB, e *testenv.Env, coll string, filter bson.D) int {
	t.Helper()
	if filter == nil {
		filter = bson.D{}
	}
	// The count command: FerretDB takes longer for the aggregation of CountDocuments.
	var res struct {
		N int `bson:"n"`
	}
	err := testenv.Client().Database(e.DB).RunCommand(context.Background(), bson.D{{Key: "count", Value: coll}, {Key: "query", Value: filter}}).Decode(&res)
	if err != nil {
		t.Fatal(err)
	}
	return res.N
}

// recorder is a store over a test's database, on a client of its own that records the
// commands the store sends (testenv counts those of HTTP requests only).
type recorder struct {
	*store.Store
	mu   sync.Mutex
	cmds []bson.Raw
}

func newRecorder(t testing.TB, e *testenv.Env) *recorder {
	t.Helper()
	r := &recorder{}
	monitor := &event.CommandMonitor{Started: func(_ context.Context, ev *event.CommandStartedEvent) {
		if ev.DatabaseName == e.DB {
			r.mu.Lock()
			r.cmds = append(r.cmds, append(bson.Raw(nil), ev.Command...))
			r.mu.Unlock()
		}
	}}
	client, err := mongo.Connect(options.Client().ApplyURI(testenv.URI).SetMonitor(monitor))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	r.Store = store.New(client, e.DB)
	return r
}

// take returns the commands sent since the last take.
func (r *recorder) take() []bson.Raw {
	r.mu.Lock()
	defer r.mu.Unlock()
	cmds := r.cmds
	r.cmds = nil
	return cmds
}

// names returns the names of cmds.
func names(cmds []bson.Raw) []string {
	out := make([]string, len(cmds))
	for i, c := range cmds {
		out[i] = c.Index(0).Key()
	}
	return out
}

// TestImportTenThousand imports 10,000 new agencies from a CSV file: each is written with one
// committed change, the whole is published as one generation of the change feed, and a second
// import of the file only reads.
func TestImportTenThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 10,000 rows")
	}
	e := testenv.Seeded(t)
	ctx := context.Background()
	file := syntheticCSV(t, 10000)
	gen, err := e.Store.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var out bytes.Buffer
	if err := transfer.Import(ctx, e.Store, "csv", bytes.NewReader(file), false, &out); err != nil {
		t.Fatal(err)
	}
	t.Logf("10,000 rows in %v", time.Since(start))
	if n := strings.Count(out.String(), "create an agency of "); n != 10000 {
		t.Errorf("%d creates printed, want 10000", n)
	}
	var changes []struct{ State, Actor, Operation string }
	cur, err := testenv.Client().Database(e.DB).Collection("changes").Find(ctx, bson.D{},
		options.Find().SetProjection(bson.D{{Key: "state", Value: 1}, {Key: "actor", Value: 1}, {Key: "operation", Value: 1}}))
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &changes); err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		if c.State != "committed" || c.Actor != "cli" || c.Operation != "CREATE" {
			t.Fatalf("a change is %+v", c)
		}
	}
	if len(changes) != 10000 || count(t, e, "batches", nil) != 0 {
		t.Errorf("%d changes, want 10000; %d batches left", len(changes), count(t, e, "batches", nil))
	}
	entries, _, err := e.Store.Feed(ctx, gen)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || strings.Join(entries[0].Reload, ",") != "agencies" {
		t.Errorf("feed after the import: %+v, want one generation that reloads the agencies", entries)
	}

	r := newRecorder(t, e)
	out.Reset()
	if err := transfer.Import(ctx, r.Store, "csv", bytes.NewReader(file), false, &out); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out.String()) != "nothing to change" {
		t.Errorf("the second import changed: %.200s", out.String())
	}
	for _, c := range names(r.take()) {
		if c != "find" && c != "getMore" {
			t.Errorf("the second import sent %q", c)
		}
	}
}

// BenchmarkImportCSV imports 10,000 new agencies from a CSV file into the seeded database
// (the embedded FerretDB unless MONGODB_URI is set) and reports rows per second.
func BenchmarkImportCSV(b *testing.B) {
	const benchRows = 10000
	file := syntheticCSV(b, benchRows)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		e := testenv.Seeded(b)
		b.StartTimer()
		start := time.Now()
		if err := transfer.Import(ctx, e.Store, "csv", bytes.NewReader(file), false, &bytes.Buffer{}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(benchRows/time.Since(start).Seconds(), "rows/s")
	}
}

// sent returns the documents of the insert commands into coll among cmds.
func sent(cmds []bson.Raw, coll string) []bson.Raw {
	var docs []bson.Raw
	for _, c := range cmds {
		if name, ok := c.Lookup("insert").StringValueOK(); !ok || name != coll {
			continue
		}
		vals, _ := c.Lookup("documents").Array().Values()
		for _, v := range vals {
			docs = append(docs, v.Document())
		}
	}
	return docs
}

// TestImportCrash builds what a crash in the middle of an import leaves, and checks that the
// next start settles it from the documents: a batch of creates whose documents are written
// but whose changes are not recorded, and a batch of updates whose changes are pending.
func TestImportCrash(t *testing.T) {
	e := testenv.Seeded(t)
	ctx := context.Background()
	db := testenv.Client().Database(e.DB)

	// Creates: the batch record is captured as the import sent it.
	file := syntheticCSV(t, 50)
	r := newRecorder(t, e)
	if err := transfer.Import(ctx, r.Store, "csv", bytes.NewReader(file), false, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	records := sent(r.take(), "batches")
	if len(records) != 1 {
		t.Fatalf("%d batch records sent, want 1", len(records))
	}
	var rec struct {
		ID   string   `bson:"_id"`
		Keys []string `bson:"keys"`
	}
	if err := bson.Unmarshal(records[0], &rec); err != nil {
		t.Fatal(err)
	}
	committedOf := func(key string) bson.D {
		return bson.D{{Key: "key", Value: key}, {Key: "state", Value: "committed"}}
	}
	var want []bson.Raw
	for _, key := range rec.Keys {
		var c bson.Raw
		if err := db.Collection("changes").FindOne(ctx, committedOf(key)).Decode(&c); err != nil {
			t.Fatal(err)
		}
		want = append(want, c)
	}
	// The crash came after the documents were written: no change recorded, the record kept.
	// Meanwhile someone else's document replaced the first (same key, same version).
	if _, err := db.Collection("changes").DeleteMany(ctx, bson.D{{Key: "key", Value: bson.D{{Key: "$in", Value: rec.Keys}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("batches").InsertOne(ctx, records[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("agencies").UpdateOne(ctx, bson.D{{Key: "_id", Value: rec.Keys[0]}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "acronym", Value: "OTHER"}}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, e, "batches", nil); n != 0 {
		t.Errorf("%d batch records left", n)
	}
	if n := count(t, e, "changes", committedOf(rec.Keys[0])); n != 0 {
		t.Errorf("someone else's document was recorded as the import's")
	}
	for i, key := range rec.Keys[1:] {
		var got bson.Raw
		if err := db.Collection("changes").FindOne(ctx, committedOf(key)).Decode(&got); err != nil {
			t.Fatalf("change of %s: %v", key, err)
		}
		if !bytes.Equal(got, want[i+1]) {
			t.Errorf("change of %s settled as\n%s\nwant\n%s", key, got, want[i+1])
			break
		}
	}

	// Updates: the crash came after the documents were replaced, before the changes were
	// settled; the pending changes are captured as the import sent them.
	var b bytes.Buffer
	b.WriteString("country,countryName,agencyId,agencyName,acronym,kind,url\n")
	for _, line := range strings.Split(strings.TrimSpace(string(file)), "\n")[2:12] {
		b.WriteString(strings.Replace(line, ",AGENCY,", ",CHAMBER,", 1) + "\n")
	}
	if err := transfer.Import(ctx, r.Store, "csv", bytes.NewReader(b.Bytes()), false, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var pending []any
	var keys []string
	for _, d := range sent(r.take(), "changes") {
		if d.Lookup("state").StringValue() == "pending" {
			pending = append(pending, d)
			keys = append(keys, d.Lookup("key").StringValue())
		}
	}
	if len(pending) == 0 {
		t.Fatal("the update sent no pending changes")
	}
	updated := bson.D{{Key: "key", Value: bson.D{{Key: "$in", Value: keys}}}, {Key: "operation", Value: "UPDATE"}}
	var settled []bson.Raw
	cur, err := db.Collection("changes").Find(ctx, updated)
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &settled); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("changes").DeleteMany(ctx, updated); err != nil {
		t.Fatal(err)
	}
	// One more change was under way and never got to write its document.
	var peru bson.Raw
	if err := db.Collection("agencies").FindOne(ctx, bson.D{{Key: "_id", Value: "AG-PE"}}).Decode(&peru); err != nil {
		t.Fatal(err)
	}
	version := int(peru.Lookup("version").AsInt64())
	stuck := bson.D{{Key: "_id", Value: "pending/0000000000000000000000/0001"}, {Key: "at", Value: time.Now()}, {Key: "actor", Value: "cli"},
		{Key: "node", Value: "QWdlbmN5OkFHLVBF"}, {Key: "nodeType", Value: "Agency"}, {Key: "operation", Value: "UPDATE"},
		{Key: "collection", Value: "agencies"}, {Key: "key", Value: "AG-PE"}, {Key: "version", Value: version + 1},
		{Key: "countries", Value: bson.A{"PE"}}, {Key: "state", Value: "pending"}, {Key: "lock", Value: fmt.Sprintf("agencies/AG-PE/%d", version+1)}}
	if _, err := db.Collection("changes").InsertMany(ctx, append(pending, stuck)); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	var again []bson.Raw
	if cur, err = db.Collection("changes").Find(ctx, updated); err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &again); err != nil {
		t.Fatal(err)
	}
	if len(again) != len(settled) {
		t.Fatalf("%d changes settled, want %d", len(again), len(settled))
	}
	for i := range again {
		// Settled from the documents, the changes are what the import recorded.
		if !bytes.Equal(again[i], settled[i]) {
			t.Errorf("update settled as\n%s\nwant\n%s", again[i], settled[i])
			break
		}
	}
	if n := count(t, e, "changes", bson.D{{Key: "state", Value: "pending"}}); n != 0 {
		t.Errorf("%d changes still pending", n)
	}
	if n := count(t, e, "changes", bson.D{{Key: "key", Value: "AG-PE"}, {Key: "state", Value: "aborted"}}); n != 1 {
		t.Errorf("%d aborted changes of AG-PE, want 1", n)
	}
	// The aborted change no longer holds its version.
	acronym := "P"
	if _, err := e.Store.UpdateAgency(ctx, store.CLIActor, "AG-PE", version, store.AgencyEdit{Acronym: &acronym, Given: map[string]bool{"acronym": true}}); err != nil {
		t.Errorf("update after the aborted change: %v", err)
	}
}

// TestImportRaces runs imports against concurrent writers of the same documents: each write
// wins or loses whole, and the trail holds one committed change per version.
func TestImportRaces(t *testing.T) {
	e := testenv.Seeded(t)
	ctx := context.Background()
	db := testenv.Client().Database(e.DB)
	agency := func(key string) *store.Agency {
		var a store.Agency
		if err := db.Collection("agencies").FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&a); err != nil {
			t.Fatal(err)
		}
		return &a
	}
	// trail checks that key has one committed change per version (from 1 if an import
	// created it, else from 2), the last of them holding the agency as stored.
	trail := func(key string, created bool) {
		t.Helper()
		a := agency(key)
		var changes []store.Change
		cur, err := db.Collection("changes").Find(ctx, bson.D{{Key: "key", Value: key}, {Key: "state", Value: "committed"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := cur.All(ctx, &changes); err != nil {
			t.Fatal(err)
		}
		first := 2
		if created {
			first = 1
		}
		versions := map[int]bool{}
		var last *store.Change
		for i, c := range changes {
			versions[c.Version] = true
			if c.Version == a.Version {
				last = &changes[i]
			}
		}
		if len(changes) != a.Version-first+1 || len(versions) != len(changes) || last == nil {
			t.Fatalf("%s at version %d has the committed changes of versions %v", key, a.Version, versions)
		}
		raw, err := bson.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := store.WithoutDerived("agencies", raw)
		if got, err := store.WithoutDerived("agencies", last.After); err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("the last change of %s recorded\n%v\nbut it is\n%v", key, got, want)
		}
	}

	// An import of Peru's agency against editors of it.
	for round := range 5 {
		var wg sync.WaitGroup
		wg.Go(func() {
			a := agency("AG-PE")
			url := fmt.Sprintf("https://import.example.org/%d", round)
			a.URL = &url
			_, err := e.Store.ApplyWith(ctx, &store.Dataset{Agencies: []*store.Agency{a}}, time.Now(), store.ApplyOptions{Actor: store.CLIActor})
			if err != nil && !errors.Is(err, store.ErrConflict) {
				t.Error(err)
			}
		})
		for i := range 3 {
			wg.Go(func() {
				acronym := fmt.Sprintf("R%dE%d", round, i)
				_, err := e.Store.UpdateAgency(ctx, store.CLIActor, "AG-PE", agency("AG-PE").Version, store.AgencyEdit{Acronym: &acronym, Given: map[string]bool{"acronym": true}})
				if err != nil && !errors.Is(err, store.ErrConflict) {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	trail("AG-PE", false)

	// Two imports create the same agency, planned as new: one is written and recorded.
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			a := &store.Agency{Key: "AG-PE-RACE", Country: "PE", Kind: store.AgencyOther, Sources: []store.Source{{Title: "test"}},
				Names: []store.LocalizedText{{Lang: "en", Text: fmt.Sprintf("Racer %d", i)}}}
			_, errs[i] = e.Store.ApplyWith(ctx, &store.Dataset{Agencies: []*store.Agency{a}}, time.Now(), store.ApplyOptions{Actor: store.CLIActor, CheckVersions: true})
		})
	}
	wg.Wait()
	if errors.Is(errs[0], store.ErrConflict) == errors.Is(errs[1], store.ErrConflict) {
		t.Errorf("the creates returned %v and %v; want one conflict", errs[0], errs[1])
	}
	trail("AG-PE-RACE", true)
}
