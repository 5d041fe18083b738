package seed_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/fealac/smegraph/internal/seed"
	"github.com/fealac/smegraph/internal/store"
	"github.com/fealac/smegraph/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// TestLoadIsIdempotent checks that loading twice changes nothing the second time, that a
// record that differs from the dataset is restored with its version increased, and that a
// record the dataset does not hold is kept.
func TestLoadIsIdempotent(t *testing.T) {
	e := testenv.New(t)
	ctx := context.Background()

	first, err := seed.Load(ctx, e.Store, testenv.SeedTime)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"countries": 36, "groupings": 16, "meetings": 10, "agencies": 18, "memberships": 119, "decisions": 22}
	for _, r := range first {
		if r.Inserted != want[r.Collection] || r.Updated != 0 || r.Unchanged != 0 {
			t.Errorf("first load of %s: %+v, want %d inserted", r.Collection, r, want[r.Collection])
		}
	}

	e.ResetCommands()
	second, err := seed.Load(ctx, e.Store, testenv.SeedTime.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range second {
		if r.Inserted != 0 || r.Updated != 0 || r.Unchanged != want[r.Collection] {
			t.Errorf("second load of %s: %+v, want all unchanged", r.Collection, r)
		}
	}
	for _, c := range e.Commands() {
		if c != "find" {
			t.Errorf("second load sent %q: it must only read", c)
		}
	}

	// Someone changes Peru's agency and adds their own; a re-seed restores the first only.
	ds, err := seed.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	changed := *ds.Agencies[len(ds.Agencies)-1]
	other := "https://example.org/"
	changed.URL = &other
	mine := &store.Agency{Key: "AG-PE-2", Country: "PE", Kind: store.AgencyOther, URL: &other,
		Names: []store.LocalizedText{}, Sources: []store.Source{{Title: "test"}}}
	if _, err := e.Store.Apply(ctx, &store.Dataset{Agencies: []*store.Agency{&changed, mine}}, testenv.SeedTime); err != nil {
		t.Fatal(err)
	}
	third, err := seed.Load(ctx, e.Store, testenv.SeedTime.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range third {
		wantUpdated := 0
		if r.Collection == "agencies" {
			wantUpdated = 1
		}
		if r.Updated != wantUpdated || r.Inserted != 0 {
			t.Errorf("third load of %s: %+v, want %d updated", r.Collection, r, wantUpdated)
		}
	}
	restored, err := e.Store.Agency(ctx, changed.Key)
	if err != nil {
		t.Fatal(err)
	}
	if *restored.URL == other || restored.Version != 3 || !restored.UpdatedAt.Equal(testenv.SeedTime.Add(2*time.Hour)) {
		t.Errorf("restored agency: url %s version %d updatedAt %s", *restored.URL, restored.Version, restored.UpdatedAt)
	}
	if _, err := e.Store.Agency(ctx, "AG-PE-2"); err != nil {
		t.Errorf("an agency the dataset does not hold was removed: %v", err)
	}
}
