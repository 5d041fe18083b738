package readmodel

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/fealac/smegraph/internal/store"
)

// table is one collection of a snapshot: its documents by key and in key order, and the
// orderings of its connection, each sorted once, on first use. A table is never modified
// once built; a change builds a new one that shares the documents it does not touch.
type table[T any] struct {
	byKey map[string]*T
	// all holds the documents in key order.
	all []*T
	// key and version read a document's key and version.
	key     func(*T) string
	version func(*T) int
	// tombs are the keys deleted lately, with the version they had, so that a write
	// acknowledged before the delete but applied after it does not bring the document back.
	tombs map[string]tomb
	// sorted caches the documents sorted by each ordering asked for, by ordering name.
	sorted sync.Map
}

// tomb is a deleted document's last version, when it was deleted, and when the delete was
// applied here.
type tomb struct {
	version int
	at      time.Time
	applied time.Time
}

// tombLife is how long a delete shadows older writes of the same key: a write reaches the
// model at most a poll interval plus the feed's gap wait after its acknowledgement.
const tombLife = time.Minute

// newTable returns a table of docs (in any order).
func newTable[T any](docs []*T, key func(*T) string, version func(*T) int) *table[T] {
	t := &table[T]{byKey: make(map[string]*T, len(docs)), key: key, version: version, tombs: map[string]tomb{}}
	for _, d := range docs {
		t.byKey[key(d)] = d
	}
	t.index()
	return t
}

// index rebuilds the key order from byKey.
func (t *table[T]) index() {
	t.all = make([]*T, 0, len(t.byKey))
	for _, d := range t.byKey {
		t.all = append(t.all, d)
	}
	slices.SortFunc(t.all, func(a, b *T) int { return cmp.Compare(t.key(a), t.key(b)) })
}

// get returns the document stored under key, or nil.
func (t *table[T]) get(key string) *T { return t.byKey[key] }

// with returns a new table with the writes ws applied (ws holds only this table's
// collection), or t itself when none of them changes what t holds. Writes of one document
// can reach the model out of order, so a write is skipped when it is older than what t
// holds: a lower version than the stored document's, or, for a key deleted lately, a version
// at most the deleted one's and a change time no later than the delete (a later one is the
// record created again, which starts at version 1).
func (t *table[T]) with(ws []store.Written, now time.Time) *table[T] {
	var next *table[T]
	clone := func() {
		if next != nil {
			return
		}
		next = &table[T]{byKey: make(map[string]*T, len(t.byKey)+len(ws)), key: t.key, version: t.version, tombs: map[string]tomb{}}
		for k, d := range t.byKey {
			next.byKey[k] = d
		}
		for k, tb := range t.tombs {
			if now.Sub(tb.applied) < tombLife {
				next.tombs[k] = tb
			}
		}
	}
	current := func(key string) (*T, tomb, bool) {
		src := t
		if next != nil {
			src = next
		}
		tb, dead := src.tombs[key]
		return src.byKey[key], tb, dead && now.Sub(tb.applied) < tombLife
	}
	for _, w := range ws {
		old, tb, dead := current(w.Key)
		if w.Doc == nil {
			if old != nil && t.version(old) > w.Version {
				continue
			}
			clone()
			delete(next.byKey, w.Key)
			at := w.At
			if at.IsZero() {
				at = now
			}
			next.tombs[w.Key] = tomb{version: w.Version, at: at, applied: now}
			continue
		}
		d, ok := w.Doc.(*T)
		if !ok || d == nil {
			continue
		}
		if old != nil && t.version(old) >= w.Version {
			continue
		}
		if old == nil && dead && w.Version <= tb.version && !updatedAt(d).After(tb.at) {
			continue
		}
		clone()
		// A copy: the writer keeps its value, and the snapshot must never change.
		c := *d
		next.byKey[w.Key] = &c
		delete(next.tombs, w.Key)
	}
	if next == nil {
		return t
	}
	next.index()
	return next
}

// ordered returns the documents sorted by o, sorting them on the first call for o.
func (t *table[T]) ordered(o *ordering[T]) []*T {
	if o.isKeyOrder {
		return t.all
	}
	if v, ok := t.sorted.Load(o.name); ok {
		return v.([]*T)
	}
	s := slices.Clone(t.all)
	slices.SortStableFunc(s, o.compare)
	v, _ := t.sorted.LoadOrStore(o.name, s)
	return v.([]*T)
}

// groupBy returns the documents of t under each key that keysOf gives them, each list
// sorted by less.
func groupBy[T any](all []*T, keysOf func(*T) []string, order func(a, b *T) int) map[string][]*T {
	out := map[string][]*T{}
	for _, d := range all {
		for _, k := range keysOf(d) {
			out[k] = append(out[k], d)
		}
	}
	for _, list := range out {
		slices.SortStableFunc(list, order)
	}
	return out
}

// one returns a one-key list, for groupBy.
func one(k string) []string { return []string{k} }

// updatedAt returns when a stored document last changed (its Revision), or the zero time for
// a type without one.
func updatedAt(d any) time.Time {
	if r, ok := d.(interface{ Rev() *store.Revision }); ok {
		return r.Rev().UpdatedAt
	}
	return time.Time{}
}
