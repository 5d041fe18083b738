package readmodel

import (
	"fmt"
	"math"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fealac/smegraph/internal/store"
)

// TestCompareValues checks the order of sort-key values that cursors compare: a document's
// (string, int, time.Time) against a cursor's (string, int32, int64, bson.DateTime), numbers
// whatever their width, times to the millisecond, and other kinds by kind.
func TestCompareValues(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 8_000_000, time.UTC)
	cases := []struct {
		a, b any
		want int
	}{
		{"a", "b", -1},
		{"b", "a", 1},
		{"", "", 0},
		{"Z", "a", -1}, // bytes, not folded: the sort names are folded when written
		{"é", "f", 1},
		{3, int32(3), 0},
		{3, int64(3), 0},
		{int32(3), int64(3), 0},
		{3, int64(4), -1},
		{int32(5), 2, 1},
		{int64(-1), 0, -1},
		{math.MaxInt64, int32(math.MaxInt32), 1},
		{at, bson.NewDateTimeFromTime(at), 0},
		{at.Add(400 * time.Microsecond), bson.NewDateTimeFromTime(at), 0}, // milliseconds, as stored
		{at, bson.NewDateTimeFromTime(at.Add(time.Millisecond)), -1},
		{at.Add(time.Millisecond), at, 1},
		{bson.NewDateTimeFromTime(at), at.Add(-time.Millisecond), 1},
		// Different kinds order by kind: strings, numbers, times, anything else.
		{"", 0, -1},
		{"zzz", int32(-5), -1},
		{0, "", 1},
		{math.MaxInt64, at, -1},
		{time.Time{}, "a", 1},
		{bson.DateTime(0), int64(1), 1},
		{1.5, "a", 1},
		{nil, at, 1},
		{nil, nil, 0},
	}
	for _, c := range cases {
		if got := compareValues(c.a, c.b); got != c.want {
			t.Errorf("compareValues(%#v, %#v) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := compareValues(c.b, c.a); got != -c.want {
			t.Errorf("compareValues(%#v, %#v) = %d, want %d (antisymmetry)", c.b, c.a, got, -c.want)
		}
	}
}

// TestTableWith checks how a table applies writes that reach it out of order (the change
// feed and this process's own writes race): versions order the writes of one document, and a
// recent delete shadows older writes of its key; after tombLife a key written again is taken.
func TestTableWith(t *testing.T) {
	agency := func(key string, version int, name string) store.Written {
		return store.Written{Collection: store.AgenciesCollection, Key: key, Version: version,
			Doc: &store.Agency{Key: key, Country: "PE", Names: []store.LocalizedText{{Lang: "en", Text: name}}, Revision: store.Revision{Version: version}}}
	}
	deleted := func(key string, version int) store.Written {
		return store.Written{Collection: store.AgenciesCollection, Key: key, Version: version}
	}
	// step is one call of with, at a time after the table was built.
	type step struct {
		ws    []store.Written
		after time.Duration
	}
	cases := []struct {
		name  string
		steps []step
		// want is each key's name afterwards ("" when absent).
		want map[string]string
	}{
		{"a newer version is applied",
			[]step{{ws: []store.Written{agency("A", 3, "three")}}},
			map[string]string{"A": "three", "B": "one"}},
		{"an older version after a newer one is skipped",
			[]step{{ws: []store.Written{agency("A", 3, "three")}}, {ws: []store.Written{agency("A", 2, "stale")}}},
			map[string]string{"A": "three"}},
		{"the stored version again is skipped",
			[]step{{ws: []store.Written{agency("A", 2, "same version")}}},
			map[string]string{"A": "two"}},
		{"out of order within one batch",
			[]step{{ws: []store.Written{agency("A", 4, "four"), agency("A", 3, "three")}}},
			map[string]string{"A": "four"}},
		{"a new key is created",
			[]step{{ws: []store.Written{agency("C", 1, "new")}}},
			map[string]string{"C": "new", "A": "two", "B": "one"}},
		{"a delete removes the key",
			[]step{{ws: []store.Written{deleted("A", 2)}}},
			map[string]string{"A": "", "B": "one"}},
		{"a delete of a version older than the stored one is skipped",
			[]step{{ws: []store.Written{agency("A", 3, "three")}}, {ws: []store.Written{deleted("A", 2)}}},
			map[string]string{"A": "three"}},
		{"a delete then an older update is not resurrected",
			[]step{{ws: []store.Written{deleted("A", 2)}}, {ws: []store.Written{agency("A", 2, "late update")}, after: time.Second}},
			map[string]string{"A": ""}},
		{"a delete then its older create is not resurrected",
			[]step{{ws: []store.Written{deleted("A", 2)}}, {ws: []store.Written{agency("A", 1, "late create")}, after: tombLife - time.Second}},
			map[string]string{"A": ""}},
		{"a delete ahead of the update it follows",
			[]step{{ws: []store.Written{deleted("A", 3)}}, {ws: []store.Written{agency("A", 3, "late update")}}},
			map[string]string{"A": ""}},
		{"a re-create after tombLife is accepted",
			[]step{{ws: []store.Written{deleted("A", 2)}}, {ws: []store.Written{agency("A", 1, "re-created")}, after: tombLife + time.Second}},
			map[string]string{"A": "re-created"}},
		{"a re-create at a version above the delete's is accepted at once",
			[]step{{ws: []store.Written{deleted("A", 2)}}, {ws: []store.Written{agency("A", 3, "newer")}}},
			map[string]string{"A": "newer"}},
		{"a delete and an older update in one batch",
			[]step{{ws: []store.Written{deleted("A", 2), agency("A", 2, "late update")}}},
			map[string]string{"A": ""}},
		{"a document of another type is ignored",
			[]step{{ws: []store.Written{{Collection: store.AgenciesCollection, Key: "A", Version: 9, Doc: &store.Country{Code: "A"}}}}},
			map[string]string{"A": "two"}},
	}
	name := func(a *store.Agency) string {
		if a == nil {
			return ""
		}
		return a.Names[0].Text
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			built := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			orig := agencyTable(agency("A", 2, "two").Doc.(*store.Agency), agency("B", 1, "one").Doc.(*store.Agency))
			tab := orig
			for _, s := range c.steps {
				tab = tab.with(s.ws, built.Add(s.after))
			}
			for key, want := range c.want {
				if got := name(tab.get(key)); got != want {
					t.Errorf("%s: %q, want %q", key, got, want)
				}
			}
			// all and byKey agree, in key order.
			if len(tab.all) != len(tab.byKey) {
				t.Errorf("%d in key order, %d by key", len(tab.all), len(tab.byKey))
			}
			for i, a := range tab.all {
				if tab.byKey[a.Key] != a || (i > 0 && tab.all[i-1].Key >= a.Key) {
					t.Errorf("key order broken at %d: %v", i, keysOf(tab.all))
				}
			}
			// The table the writes were applied to never changes.
			if name(orig.get("A")) != "two" || name(orig.get("B")) != "one" || orig.get("C") != nil || len(orig.all) != 2 {
				t.Errorf("the original table changed: %v", keysOf(orig.all))
			}
		})
	}
}

// TestTableWithCopiesAndShares checks that a table keeps a copy of a written document (the
// writer keeps its value), returns itself when nothing changes, and forgets expired tombs.
func TestTableWithCopiesAndShares(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tab := agencyTable(&store.Agency{Key: "A", Revision: store.Revision{Version: 1}})
	doc := &store.Agency{Key: "A", Country: "PE", Revision: store.Revision{Version: 2}}
	next := tab.with([]store.Written{{Collection: store.AgenciesCollection, Key: "A", Version: 2, Doc: doc}}, now)
	doc.Country = "CL"
	if got := next.get("A").Country; got != "PE" {
		t.Errorf("the table shares the writer's document: country %s", got)
	}
	if same := next.with([]store.Written{{Collection: store.AgenciesCollection, Key: "A", Version: 1, Doc: doc}}, now); same != next {
		t.Error("a write that changes nothing built a new table")
	}
	gone := next.with([]store.Written{{Collection: store.AgenciesCollection, Key: "A", Version: 2}}, now)
	if len(gone.tombs) != 1 {
		t.Fatalf("tombs after a delete: %v", gone.tombs)
	}
	later := gone.with([]store.Written{{Collection: store.AgenciesCollection, Key: "B", Version: 1, Doc: &store.Agency{Key: "B"}}}, now.Add(tombLife+time.Second))
	if len(later.tombs) != 0 {
		t.Errorf("an expired tomb is kept: %v", later.tombs)
	}
}

// TestTableWithDeleteBeforeCreate checks a delete that reaches the model before the create
// of its document: process A creates a document and process B deletes it between A's insert
// and A's publication, so the feed holds the delete one generation before the create (and a
// Sync of A can apply B's delete before A's own listener applies the create). The delete
// must shadow the older create as it shadows an older update; otherwise the deleted document
// stays in the snapshot until the next full load.
func TestTableWithDeleteBeforeCreate(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	created := store.Written{Collection: store.AgenciesCollection, Key: "C", Version: 1, Doc: &store.Agency{Key: "C", Revision: store.Revision{Version: 1}}}
	deleted := store.Written{Collection: store.AgenciesCollection, Key: "C", Version: 1}
	empty := agencyTable(&store.Agency{Key: "A", Revision: store.Revision{Version: 1}})
	if got := empty.with([]store.Written{deleted}, now).with([]store.Written{created}, now.Add(time.Millisecond)).get("C"); got != nil {
		t.Error("two calls: the create applied after its delete brought the document back")
	}
	if got := empty.with([]store.Written{deleted, created}, now).get("C"); got != nil {
		t.Error("one batch: the create applied after its delete brought the document back")
	}
}

// agencyTable returns the agencies table of a snapshot of docs.
func agencyTable(docs ...*store.Agency) *table[store.Agency] {
	return build(&store.Dataset{Agencies: docs}, 0, store.Cursors{}).agencies.table
}

func keysOf(as []*store.Agency) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = fmt.Sprint(a.Key, "@", a.Version)
	}
	return out
}
