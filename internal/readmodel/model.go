package readmodel

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fealac/smegraph/internal/apperr"
	"github.com/fealac/smegraph/internal/store"
)

// Model keeps the current snapshot of the reference graph in step with the database:
//
//   - at start, Load reads every reference collection (Run retries until it succeeds);
//   - this process's writes reach it through store.OnWrite before the writing method
//     returns, so a mutation's payload and every later request see them;
//   - other processes' writes reach it through the store's change feed: Sync reads the
//     one-document generation marker and, when it moved, the feed entries after the
//     generation the snapshot has (the written documents themselves, or collections to read
//     again). Run calls Sync every poll interval, and at once on each event of a change
//     stream where the server offers one (a MongoDB replica set).
//
// Changes are applied by one writer at a time in a new snapshot, swapped in atomically.
type Model struct {
	store  *store.Store
	logger *slog.Logger

	cur atomic.Pointer[Snapshot]

	// mu serialises changes of cur and the feed position below.
	mu sync.Mutex
	// applied is the feed generation up to which every generation is in cur; seen are the
	// generations after it that are in cur too (they arrive out of order).
	applied int64
	seen    map[int64]bool
	// gapSince is when generation gapGen (the one after applied) was first found missing
	// from the feed.
	gapSince time.Time
	gapGen   int64

	synced  atomic.Int64 // when cur was last known to be in step (Unix nanoseconds)
	reloads atomic.Int64
	// observe is told the duration of every load or collection reload.
	observe atomic.Pointer[func(kind string, d time.Duration)]
	// failures counts Sync failures since the last one logged; logged is when that was
	// (Unix nanoseconds).
	failures, logged atomic.Int64
}

// New returns the model of s's reference graph, empty until Load or Run. It registers with
// s to learn of this process's writes.
func New(s *store.Store, logger *slog.Logger) *Model {
	m := &Model{store: s, logger: logger, seen: map[int64]bool{}}
	s.OnWrite(m.applyLocal)
	return m
}

// ObserveReloads sets f to be told the kind ("load" or "reload") and duration of every read
// of whole collections from now on.
func (m *Model) ObserveReloads(f func(kind string, d time.Duration)) { m.observe.Store(&f) }

// Current returns the current snapshot, or nil before the first load.
func (m *Model) Current() *Snapshot { return m.cur.Load() }

// Status is what /metrics and /readyz report of the model.
type Status struct {
	Loaded bool
	// Generation is the feed generation of the current snapshot.
	Generation int64
	// Age is how long ago the snapshot was last known to be in step with the database.
	Age time.Duration
	// Reloads counts the reads of whole collections (the first load included).
	Reloads int64
}

// Status returns the model's status.
func (m *Model) Status() Status {
	st := Status{Reloads: m.reloads.Load()}
	if s := m.cur.Load(); s != nil {
		st.Loaded, st.Generation = true, s.Gen
		st.Age = time.Since(time.Unix(0, m.synced.Load()))
	}
	return st
}

// ErrNotLoaded is returned for reads before the first snapshot is loaded.
var ErrNotLoaded = &apperr.Error{Code: apperr.Unavailable, Message: "the service is starting: the reference data is not loaded yet; retry shortly"}

// Load reads every reference collection into a new snapshot and makes it current.
func (m *Model) Load(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.load(ctx)
}

// load is Load with mu held. The generation is read before the data, so every write after it
// comes through the feed (applied again harmlessly if the read saw it already).
func (m *Model) load(ctx context.Context) error {
	start := time.Now()
	gen, err := m.store.Generation(ctx)
	if err != nil {
		return err
	}
	ds, err := m.store.ReadAll(ctx)
	if err != nil {
		return err
	}
	m.cur.Store(build(ds, gen, m.store.Cursors()))
	m.applied = gen
	for g := range m.seen {
		if g <= gen {
			delete(m.seen, g)
		}
	}
	m.advance()
	m.synced.Store(time.Now().UnixNano())
	m.done("load", start)
	return nil
}

// reload reads the collections colls again into a new snapshot at generation gen (mu held).
func (m *Model) reload(ctx context.Context, colls []string, gen int64) error {
	start := time.Now()
	ds, err := m.store.ReadCollections(ctx, colls...)
	if err != nil {
		return err
	}
	m.cur.Store(m.cur.Load().replaced(ds, colls, gen))
	m.done("reload", start)
	return nil
}

// done counts a read of whole collections.
func (m *Model) done(kind string, start time.Time) {
	// The duration first: a reader that sees the count rise finds the duration recorded.
	if f := m.observe.Load(); f != nil {
		(*f)(kind, time.Since(start))
	}
	m.reloads.Add(1)
}

// applyLocal applies a write of this process (a store.WriteListener). Before the first load
// there is nothing to apply to: the load reads the write. Collections rewritten without a
// list of documents are read again; if that fails, the generation stays unapplied and Sync
// tries again.
func (m *Model) applyLocal(ctx context.Context, gen int64, ws []store.Written, reload []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := m.cur.Load()
	if cur == nil {
		return
	}
	if len(reload) > 0 {
		if err := m.reload(ctx, reload, gen); err != nil {
			m.failed(ctx, "reading changed collections failed; retrying", err)
			return
		}
	}
	m.cur.Store(m.cur.Load().with(ws, gen))
	if gen > 0 {
		m.mark(gen)
	}
}

// mark notes that generation gen is in the current snapshot (mu held).
func (m *Model) mark(gen int64) {
	if gen > m.applied {
		m.seen[gen] = true
		m.advance()
	}
}

// advance moves applied past the generations seen after it (mu held).
func (m *Model) advance() {
	for m.seen[m.applied+1] {
		delete(m.seen, m.applied+1)
		m.applied++
	}
}

// gapWait is how long Sync waits for a missing generation before it reads everything again:
// a writer between its $inc and its feed entry fills the gap within milliseconds; one that
// died never does.
const gapWait = 2 * time.Second

// feedKeep is how many generations the feed keeps (see store); a model further behind reads
// everything again.
const feedKeep = 256

// Sync brings the snapshot in step with the database's change feed: nothing to do when the
// generation has not moved; otherwise the entries after the snapshot's generation are
// applied, and a gap that does not close within gapWait, or that the feed no longer covers,
// makes it read everything again.
func (m *Model) Sync(ctx context.Context) error {
	if m.cur.Load() == nil {
		return m.Load(ctx)
	}
	start := time.Now()
	gen, err := m.store.Generation(ctx)
	if err != nil {
		return err
	}
	m.mu.Lock()
	applied := m.applied
	m.mu.Unlock()
	if gen <= applied {
		m.synced.Store(start.UnixNano())
		return nil
	}
	if gen-applied > feedKeep {
		return m.Load(ctx)
	}
	entries, _, err := m.store.Feed(ctx, applied)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range entries {
		if e.Gen <= m.applied || m.seen[e.Gen] {
			continue
		}
		if len(e.Reload) > 0 {
			if err := m.reload(ctx, e.Reload, e.Gen); err != nil {
				return err
			}
		} else {
			m.cur.Store(m.cur.Load().with(e.Docs, e.Gen))
		}
		m.mark(e.Gen)
	}
	if m.applied >= gen {
		m.synced.Store(start.UnixNano())
		return nil
	}
	if m.gapGen != m.applied+1 {
		m.gapGen, m.gapSince = m.applied+1, start
		return nil
	}
	if time.Since(m.gapSince) > gapWait {
		m.logger.WarnContext(ctx, "a generation of the change feed never arrived: reading everything again", "after", m.applied, "generation", gen)
		return m.load(ctx)
	}
	return nil
}

// Options configure Run.
type Options struct {
	// Poll is the interval between two Syncs: the bound on how long another process's write
	// takes to show here, where no change stream wakes the model sooner.
	Poll time.Duration
}

// Run loads the first snapshot, retrying with backoff until it succeeds, then follows the
// database until ctx ends: a Sync every opts.Poll, and at once on every event of a change
// stream of the feed where the server offers one. Failures are logged at most once a minute,
// with their count.
func (m *Model) Run(ctx context.Context, opts Options) {
	ctx = context.WithValue(ctx, followingKey{}, true)
	backoff := 100 * time.Millisecond
	for m.cur.Load() == nil {
		if err := m.Load(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			m.failed(ctx, "loading the reference data failed; retrying", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
		}
	}
	wake := make(chan struct{}, 1)
	go m.watch(ctx, wake)
	tick := time.NewTicker(opts.Poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-wake:
		}
		if err := m.Sync(ctx); err != nil && ctx.Err() == nil {
			m.failed(ctx, "following the database's changes failed; retrying", err)
		}
	}
}

// watch sends on wake for every insert into the change feed, where the server offers change
// streams; elsewhere it returns at once, and the poll alone keeps the model in step.
func (m *Model) watch(ctx context.Context, wake chan<- struct{}) {
	cs, err := m.store.Watch(ctx)
	if err != nil {
		m.logger.DebugContext(ctx, "no change streams on this server: polling the change feed", "err", err)
		return
	}
	defer cs.Close(context.WithoutCancel(ctx))
	m.logger.InfoContext(ctx, "following the change feed through a change stream")
	for cs.Next(ctx) {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	if err := cs.Err(); err != nil && !errors.Is(err, context.Canceled) {
		m.logger.WarnContext(ctx, "the change stream ended: polling the change feed", "err", err)
	}
}

// failed logs err, at most once a minute, with the number of failures since the last line.
func (m *Model) failed(ctx context.Context, msg string, err error) {
	n := m.failures.Add(1)
	now := time.Now().UnixNano()
	if last := m.logged.Load(); now-last < int64(time.Minute) || !m.logged.CompareAndSwap(last, now) {
		return
	}
	m.failures.Store(0)
	m.logger.ErrorContext(ctx, msg, "err", err, "failures", n)
}

// followingKey marks the context of Run's own work.
type followingKey struct{}

// Following reports whether ctx is the model's own background work (loading and following
// the database), so that a command monitor can tell it from the work of requests.
func Following(ctx context.Context) bool {
	f, _ := ctx.Value(followingKey{}).(bool)
	return f
}

// pinKey is the context key of an operation's snapshot.
type pinKey struct{}

// pin holds the snapshot an operation reads. A query reads one snapshot from start to end; a
// mutation operation moves it on after each mutation (Repin), so that each payload sees its
// own mutation and the ones before it.
type pin struct{ s atomic.Pointer[Snapshot] }

// Pin returns ctx with the model's current snapshot pinned for the operation, or
// ErrNotLoaded before the first load.
func (m *Model) Pin(ctx context.Context) (context.Context, error) {
	s := m.cur.Load()
	if s == nil {
		return ctx, ErrNotLoaded
	}
	p := &pin{}
	p.s.Store(s)
	return context.WithValue(ctx, pinKey{}, p), nil
}

// Repin moves the operation's snapshot on to the model's current one (after a mutation).
func (m *Model) Repin(ctx context.Context) {
	if p, ok := ctx.Value(pinKey{}).(*pin); ok {
		if s := m.cur.Load(); s != nil {
			p.s.Store(s)
		}
	}
}

// For returns the snapshot the operation of ctx reads: the pinned one, else the current one
// (scripts and tests that call resolvers directly), else ErrNotLoaded.
func (m *Model) For(ctx context.Context) (*Snapshot, error) {
	if p, ok := ctx.Value(pinKey{}).(*pin); ok {
		return p.s.Load(), nil
	}
	if s := m.cur.Load(); s != nil {
		return s, nil
	}
	return nil, ErrNotLoaded
}

// Static returns a model of the fixed dataset ds that follows no database: for tests and
// tools that have none. s signs cursors and is told of no reads.
func Static(s *store.Store, ds *store.Dataset, logger *slog.Logger) *Model {
	m := &Model{store: s, logger: logger, seen: map[int64]bool{}}
	m.cur.Store(build(ds, 0, s.Cursors()))
	m.synced.Store(time.Now().UnixNano())
	return m
}
