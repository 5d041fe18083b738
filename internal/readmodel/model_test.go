package readmodel_test

import (
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fealac/smegraph/internal/readmodel"
	"github.com/fealac/smegraph/internal/store"
	"github.com/fealac/smegraph/internal/testenv"
)

// Tests of Model.Sync against a real database. Each test plays the other processes by
// writing the change feed's two collections directly: the generation marker, which a writer
// raises first, and the feed entry, which it inserts next. A writer between the two, or one
// that died there, leaves a gap.

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// follower is a read model over an Env's database, as another process's would be: it learns
// of writes only by calling Sync, which the tests do themselves.
type follower struct {
	t    *testing.T
	m    *readmodel.Model
	logs *testenv.Buffer
	db   string
}

func newFollower(t *testing.T) *follower {
	t.Helper()
	e := testenv.New(t)
	f := &follower{t: t, logs: &testenv.Buffer{}, db: e.DB}
	f.m = readmodel.New(store.New(testenv.Client(), e.DB), slog.New(slog.NewTextHandler(f.logs, nil)))
	if err := f.m.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	return f
}

// raise raises the generation marker by n, as n writers do before their feed entries, and
// returns the new generation.
func (f *follower) raise(n int64) int64 {
	f.t.Helper()
	var marker struct {
		Gen int64 `bson:"gen"`
	}
	err := testenv.Client().Database(f.db).Collection("generation").FindOneAndUpdate(f.t.Context(), bson.D{{Key: "_id", Value: "gen"}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "gen", Value: n}}}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&marker)
	if err != nil {
		f.t.Fatal(err)
	}
	return marker.Gen
}

// publish inserts the feed entry of generation gen, as its writer does after raising the
// marker; it names no document.
func (f *follower) publish(gen int64) {
	f.t.Helper()
	_, err := testenv.Client().Database(f.db).Collection("feed").InsertOne(f.t.Context(),
		bson.D{{Key: "_id", Value: gen}, {Key: "at", Value: time.Now()}, {Key: "docs", Value: bson.A{}}, {Key: "reload", Value: bson.A{}}})
	if err != nil {
		f.t.Fatal(err)
	}
}

// insertUnpublished stores an agency without telling the feed: only a full load reads it.
func (f *follower) insertUnpublished(key string) {
	f.t.Helper()
	_, err := testenv.Client().Database(f.db).Collection("agencies").InsertOne(f.t.Context(),
		bson.D{{Key: "_id", Value: key}, {Key: "country", Value: "PE"}, {Key: "kind", Value: "OTHER"}, {Key: "version", Value: 1}})
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *follower) sync() readmodel.Status {
	f.t.Helper()
	if err := f.m.Sync(f.t.Context()); err != nil {
		f.t.Fatal(err)
	}
	return f.m.Status()
}

// TestSyncReloadsAfterAGapOfGapWait checks a writer that died between raising the generation
// and inserting its feed entry: the model waits GapWait for the entry, then reads everything
// again (and so finds what that writer wrote), and is in step at the marker's generation.
func TestSyncReloadsAfterAGapOfGapWait(t *testing.T) {
	t.Parallel()
	f := newFollower(t)
	before := f.m.Status()
	gen := f.raise(1)
	f.insertUnpublished("AG-PE-LOST")
	opened := time.Now()
	if st := f.sync(); st.Reloads != before.Reloads || st.Generation != before.Generation {
		t.Fatalf("a fresh gap: %+v, before %+v", st, before)
	}
	var st readmodel.Status
	for st = f.sync(); st.Reloads == before.Reloads; st = f.sync() {
		if time.Since(opened) > readmodel.GapWait+3*time.Second {
			t.Fatalf("no reload %s after the gap opened: %+v", time.Since(opened), st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if waited := time.Since(opened); waited < readmodel.GapWait {
		t.Errorf("reloaded %s after the gap opened, before GapWait (%s)", waited, readmodel.GapWait)
	}
	if st.Reloads != before.Reloads+1 || st.Generation != gen {
		t.Errorf("after the reload: %+v, want generation %d", st, gen)
	}
	if f.m.Current().Agency("AG-PE-LOST") == nil {
		t.Error("the full reload did not read the unpublished write")
	}
	if !strings.Contains(f.logs.String(), "never arrived") {
		t.Errorf("the reload is not logged:\n%s", f.logs.String())
	}
	if st := f.sync(); st.Reloads != before.Reloads+1 {
		t.Errorf("a Sync in step reloaded again: %+v", st)
	}
}

// TestSyncGapThatClosesIsNoReload checks a writer caught between raising the generation and
// inserting its feed entry: once the entry is there, the model applies it and is in step,
// without reading everything.
func TestSyncGapThatClosesIsNoReload(t *testing.T) {
	f := newFollower(t)
	before := f.m.Status()
	gen := f.raise(1)
	if st := f.sync(); st.Generation != before.Generation {
		t.Fatalf("generation %d with its entry missing", st.Generation)
	}
	f.publish(gen)
	if st := f.sync(); st.Generation != gen || st.Reloads != before.Reloads {
		t.Errorf("after the entry arrived: %+v, want generation %d and no reload", st, gen)
	}
}

// TestSyncFarBehindLoads checks a model further behind than the feed keeps: it reads
// everything again at once, without waiting for entries that are gone.
func TestSyncFarBehindLoads(t *testing.T) {
	f := newFollower(t)
	before := f.m.Status()
	gen := f.raise(300)
	f.insertUnpublished("AG-PE-PRUNED")
	if st := f.sync(); st.Reloads != before.Reloads+1 || st.Generation != gen {
		t.Errorf("300 generations behind: %+v, want one reload and generation %d", st, gen)
	}
	if f.m.Current().Agency("AG-PE-PRUNED") == nil {
		t.Error("the reload did not read the collection")
	}
}

// TestSyncGapWaitIsPerGeneration checks that the wait for a missing generation starts when
// that generation is found missing, not when some earlier one was: under steady writes from
// other processes each poll may find the newest generation's entry not yet inserted, and a
// wait that never restarts would read everything again every GapWait although no
// generation was ever missing for that long.
func TestSyncGapWaitIsPerGeneration(t *testing.T) {
	t.Parallel()
	f := newFollower(t)
	before := f.m.Status()
	first := f.raise(1)
	opened := time.Now()
	f.sync() // first is missing from now on
	time.Sleep(readmodel.GapWait * 3 / 4)
	f.publish(first) // first's writer finishes; the next one is between its two steps
	second := f.raise(1)
	if st := f.sync(); st.Generation != first || st.Reloads != before.Reloads {
		t.Fatalf("first applied, second missing: %+v", st)
	}
	secondMissing := time.Now()
	// GapWait after the first gap opened, well within GapWait of the second's.
	time.Sleep(time.Until(opened.Add(readmodel.GapWait + 200*time.Millisecond)))
	if st := f.sync(); st.Reloads != before.Reloads {
		t.Errorf("read everything again when generation %d had been missing for %s (GapWait %s): %+v",
			second, time.Since(secondMissing).Round(time.Millisecond), readmodel.GapWait, st)
	}
}
