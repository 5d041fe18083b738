package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// changesColl is the audit trail.
const changesColl = "changes"

// ErrConflict is returned when a document changed (or appeared) since the version a
// mutation expected.
var ErrConflict = errors.New("the document changed since it was read")

// ConflictError is an ErrConflict that knows the record's current version.
type ConflictError struct{ Current int }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%v (current version %d)", ErrConflict, e.Current)
}

// Is makes errors.Is(err, ErrConflict) hold.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// The operations of a Change.
const (
	OpCreate = "CREATE"
	OpUpdate = "UPDATE"
	OpDelete = "DELETE"
)

// The states of a Change. A change is written pending before its document and committed
// after; Prepare settles changes left pending by a crash.
const (
	changePending   = "pending"
	changeCommitted = "committed"
	changeAborted   = "aborted"
)

// Change is one entry of the audit trail, stored in the changes collection.
type Change struct {
	// ID orders changes as they were made: the time in hexadecimal milliseconds, then random.
	ID         string    `bson:"_id"`
	At         time.Time `bson:"at"`
	Actor      string    `bson:"actor"` // the token's name
	Node       string    `bson:"node"`  // global ID of the node changed
	NodeType   string    `bson:"nodeType"`
	Operation  string    `bson:"operation"`
	Collection string    `bson:"collection"`
	Key        string    `bson:"key"`
	// Version is the document's version after the change (before it, for a delete).
	Version int      `bson:"version"`
	Before  bson.Raw `bson:"before,omitempty"` // absent on create
	After   bson.Raw `bson:"after,omitempty"`  // absent on delete
	// Countries are the alpha-2 codes the change concerns: editors of them see it.
	Countries []string `bson:"countries"`
	State     string   `bson:"state"`
	// Lock is "<collection>/<key>/<version after>" under a unique index: of concurrent
	// changes from the same version, only the first can be recorded. FerretDB applies an
	// update's filter and its write separately, so a version condition on the write alone
	// let several writers through (6 of 50 in a test). An aborted change renames its lock to
	// free the version.
	Lock string `bson:"lock"`
}

// newChangeID returns a time-ordered unique change ID.
func newChangeID(at time.Time) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%012x%s", at.UnixMilli(), hex.EncodeToString(b))
}

// mutation describes one document write for record.
type mutation struct {
	actor     string
	op        string
	coll      string
	key       string
	node      string
	nodeType  string
	version   int // after the change; the stored version for a delete
	before    any // nil on create
	after     any // nil on delete
	countries []string
	at        time.Time
}

// record applies m so that a crash at any point leaves the old or the new document, never a
// half state, and a trail that Prepare can settle: the change is inserted pending, the
// document is written in one single-document operation conditioned on the version read
// (FerretDB has no transactions), then the change is marked committed, or aborted when the
// condition failed (ErrConflict).
func (s *Store) record(ctx context.Context, m mutation) (*Change, error) {
	// Once begun, a change runs to its end even if the client goes away or the request times
	// out: a cancelled context between the steps left a written document with a pending
	// change, or a held lock.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	c, err := newChange(m)
	if err != nil {
		return nil, err
	}
	changes := s.db.Collection(changesColl)
	if _, err := changes.InsertOne(ctx, c); mongo.IsDuplicateKeyError(err) {
		return nil, ErrConflict // another change from the same version came first
	} else if err != nil {
		return nil, fmt.Errorf("record change: %w", err)
	}

	coll := s.db.Collection(m.coll)
	var writeErr error
	switch m.op {
	case OpCreate:
		if _, err := coll.InsertOne(ctx, m.after); mongo.IsDuplicateKeyError(err) {
			writeErr = ErrConflict
		} else if err != nil {
			writeErr = fmt.Errorf("insert into %s: %w", m.coll, err)
		}
	case OpUpdate:
		res, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: m.key}, {Key: "version", Value: m.version - 1}}, m.after)
		switch {
		case err != nil:
			writeErr = fmt.Errorf("replace in %s: %w", m.coll, err)
		case res.MatchedCount == 0:
			writeErr = ErrConflict
		}
	case OpDelete:
		res, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: m.key}, {Key: "version", Value: m.version}})
		switch {
		case err != nil:
			writeErr = fmt.Errorf("delete from %s: %w", m.coll, err)
		case res.DeletedCount == 0:
			writeErr = ErrConflict
		}
	}

	// If this fails (or the process dies first), Prepare settles the change from the document.
	_ = s.settle(ctx, c, writeErr == nil)
	if writeErr != nil {
		return nil, writeErr
	}
	w := Written{Collection: m.coll, Key: m.key, Version: m.version, Doc: m.after, At: m.at}
	// The document is written: a failure to publish it must not fail the mutation (the next
	// publish asks followers to read everything).
	_ = s.committed(ctx, []Written{w}, nil)
	return c, nil
}

// recordTimeout bounds the three steps of one change.
const recordTimeout = 30 * time.Second

// newChange returns the pending change that records m.
func newChange(m mutation) (*Change, error) {
	c := &Change{
		ID: newChangeID(m.at), At: m.at, Actor: m.actor, Node: m.node, NodeType: m.nodeType,
		Operation: m.op, Collection: m.coll, Key: m.key, Version: m.version,
		Countries: m.countries, State: changePending, Lock: lockOf(m),
	}
	var err error
	if m.before != nil {
		if c.Before, err = auditDoc(m.coll, m.before); err != nil {
			return nil, fmt.Errorf("record change: %w", err)
		}
	}
	if m.after != nil {
		if c.After, err = auditDoc(m.coll, m.after); err != nil {
			return nil, fmt.Errorf("record change: %w", err)
		}
	}
	return c, nil
}

// auditDoc returns doc, a document of collection coll (a Go value or bson.Raw), as the audit
// trail keeps it: without the fields the store derives, which the API leaves out and which
// made a change half as large again (its time to write and read with it).
func auditDoc(coll string, doc any) (bson.Raw, error) {
	raw, ok := doc.(bson.Raw)
	if !ok {
		var err error
		if raw, err = bson.Marshal(doc); err != nil {
			return nil, err
		}
	}
	d, err := WithoutDerived(coll, raw)
	if err != nil {
		return nil, err
	}
	return bson.Marshal(d)
}

// lockOf returns the lock of a mutation: its collection, key and the version it makes (a
// delete makes the version after the last).
func lockOf(m mutation) string {
	v := m.version
	if m.op == OpDelete {
		v++
	}
	return fmt.Sprintf("%s/%s/%d", m.coll, m.key, v)
}

// settle marks c committed or aborted and releases its lock (renames it): a lock is only
// needed while a change is under way, and a held one would block a record re-created at
// the same version (by a seed or an import after a delete).
func (s *Store) settle(ctx context.Context, c *Change, done bool) error {
	c.State = changeCommitted
	if !done {
		c.State = changeAborted
	}
	set := bson.D{{Key: "state", Value: c.State}, {Key: "lock", Value: c.Lock + "/" + c.State + "/" + c.ID}}
	if _, err := s.db.Collection(changesColl).UpdateOne(ctx, bson.D{{Key: "_id", Value: c.ID}}, bson.D{{Key: "$set", Value: set}}); err != nil {
		return fmt.Errorf("settle change %s: %w", c.ID, err)
	}
	return nil
}

// settleChanges settles what a crash left under way: each change left pending, committed or
// aborted from the state of its document (see changeDone), and each batch of creates (see
// createBatch).
func (s *Store) settleChanges(ctx context.Context) error {
	var reload []string
	defer func() {
		// Followers cannot know what a crashed writer changed: they read those collections.
		if len(reload) > 0 {
			_ = s.committed(ctx, nil, reload)
		}
	}()
	changes := s.db.Collection(changesColl)
	pending, err := findAll[Change](ctx, changes, bson.D{{Key: "state", Value: changePending}}, nil)
	if err != nil {
		return err
	}
	keys := map[string][]string{}
	for _, c := range pending {
		keys[c.Collection] = append(keys[c.Collection], c.Key)
	}
	docs := map[string]map[string]storedDoc{}
	for coll, ks := range keys {
		if docs[coll], err = storedDocs(ctx, s.db.Collection(coll), ks, true); err != nil {
			return fmt.Errorf("settle changes: %w", err)
		}
	}
	var batched []*Change
	var batchedDone []bool
	for _, c := range pending {
		doc, stored := docs[c.Collection][c.Key]
		done := changeDone(c.Operation, c.Version, doc.Version, stored)
		if _, _, ok := splitPending(c.ID); ok {
			if done {
				if c.After, err = s.afterOf(ctx, c.Collection, c.Key, c.Version, doc); err != nil {
					return fmt.Errorf("settle change %s: %w", c.ID, err)
				}
			}
			batched, batchedDone = append(batched, c), append(batchedDone, done)
		} else if err := s.settle(ctx, c, done); err != nil {
			return err
		}
		if done && !slices.Contains(reload, c.Collection) {
			reload = append(reload, c.Collection)
		}
	}
	if err := s.settleUpdates(ctx, batched, batchedDone); err != nil {
		return err
	}
	recs, err := findAll[batchRecord](ctx, s.db.Collection(batchesColl), bson.D{}, nil)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if !slices.Contains(reload, rec.Collection) {
			reload = append(reload, rec.Collection)
		}
		if _, err := s.settleCreates(ctx, rec); err != nil {
			return err
		}
	}
	return nil
}

// changeDone reports whether a change (its operation, and the version it makes) is in its
// document, stored at version or not stored: written if the document is at the change's
// version or later (a later change built on it), or gone after a delete.
func changeDone(op string, changeVersion, version int, stored bool) bool {
	if op == OpDelete {
		return !stored
	}
	return stored && version >= changeVersion
}

// storedDoc is a stored document's key and version, and the document when asked for.
type storedDoc struct {
	Key     string   `bson:"_id"`
	Version int      `bson:"version"`
	Raw     bson.Raw `bson:"-"`
}

// storedDocs returns the stored documents of coll among keys, by key (a key that is not
// stored is absent; others may be present): their versions, and the documents if whole.
func storedDocs(ctx context.Context, coll *mongo.Collection, keys []string, whole bool) (map[string]storedDoc, error) {
	opts := options.Find().SetBatchSize(findBatchSize)
	if !whole {
		opts.SetProjection(bson.D{{Key: "version", Value: 1}})
	}
	cur, err := coll.Find(ctx, byKeys(keys), opts)
	if err != nil {
		return nil, fmt.Errorf("find in %s: %w", coll.Name(), err)
	}
	defer func() { _ = cur.Close(ctx) }()
	out := map[string]storedDoc{}
	for cur.Next(ctx) {
		var d storedDoc
		if err := cur.Decode(&d); err != nil {
			return nil, fmt.Errorf("read %s: %w", coll.Name(), err)
		}
		if whole {
			d.Raw = append(bson.Raw(nil), cur.Current...)
		}
		out[d.Key] = d
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", coll.Name(), err)
	}
	return out, nil
}

// afterOf returns the document key of coll as a change that made version of it left it, for
// the audit trail, when that change does not hold it (see updateBatch and createBatch): doc,
// the document as stored, if still at that version, or else the Before of the committed change
// that built on it; nil if there is none (that change is not settled either).
func (s *Store) afterOf(ctx context.Context, coll, key string, version int, doc storedDoc) (bson.Raw, error) {
	if doc.Version == version {
		return auditDoc(coll, doc.Raw)
	}
	next, err := findOne[Change](ctx, s.db.Collection(changesColl), bson.D{{Key: "collection", Value: coll},
		{Key: "key", Value: key}, {Key: "before.version", Value: version}, {Key: "state", Value: changeCommitted}})
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return next.Before, nil
}

// maxBatch is the most mutations one recordBatch takes: FerretDB deletes what a command
// selects with one SQL statement taking a variable per document, and SQLite allows 32,766.
const maxBatch = 10000

// batchTimeout bounds one recordBatch.
const batchTimeout = 10 * time.Minute

// recordBatch applies ms, creates and updates of documents of collName, as record applies each
// (a crash at any point leaves each document old or new, and a trail that Prepare settles),
// but in a few commands whatever their number (at most maxBatch): see createBatch and
// updateBatch. It publishes what it wrote in one generation of the change feed, and returns
// it, with ErrConflict naming the documents that it left alone because another writer changed
// them first.
//
// FerretDB 1 on SQLite inserts many documents cheaply, but reads a whole collection for every
// query and for every document it updates or deletes (30 ms per 10,000 documents): so a batch
// inserts each change once, settled, and only updates hold their locks in pending changes,
// which it deletes together. Recording 10,000 changes one by one took seven minutes.
func (s *Store) recordBatch(ctx context.Context, collName string, ms []mutation) ([]Written, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	// Once begun, a batch runs to its end, as a change does in record.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), batchTimeout)
	defer cancel()
	var creates, updates []mutation
	for _, m := range ms {
		switch m.op {
		case OpCreate:
			creates = append(creates, m)
		case OpUpdate:
			updates = append(updates, m)
		default:
			return nil, fmt.Errorf("record changes: %s is not batched", m.op)
		}
	}
	written, conflicts, err := s.createBatch(ctx, collName, creates)
	if err == nil {
		var w []Written
		var c []string
		w, c, err = s.updateBatch(ctx, collName, updates)
		written, conflicts = append(written, w...), append(conflicts, c...)
	}
	// The documents are written: a failure to publish them must not fail the batch.
	_ = s.committed(ctx, written, nil)
	return written, errors.Join(err, conflictError(conflicts))
}

// batchesColl holds a record of each batch of creates under way (batchRecord).
const batchesColl = "batches"

// batchRecord is a batch of creates under way (createBatch): what Prepare needs to record the
// changes of those of its documents that are written, should the batch not finish.
type batchRecord struct {
	// ID is the first 18 hexadecimal digits of the IDs of the batch's changes (time and
	// random, as newChangeID); the last 6 are the change's index in Keys.
	ID         string    `bson:"_id"`
	At         time.Time `bson:"at"`
	Actor      string    `bson:"actor"`
	Collection string    `bson:"collection"`
	// Keys are the documents the batch creates.
	Keys []string `bson:"keys"`
	// Sums are a checksum of each document as the batch creates it (sumOf): a document by
	// another writer under the same key has another.
	Sums []string `bson:"sums"`
}

// changeID returns the ID of the change of the i-th document of the batch.
func (b *batchRecord) changeID(i int) string { return fmt.Sprintf("%s%06x", b.ID, i) }

// sumOf returns the checksum of a document as the audit trail keeps it (auditDoc).
func sumOf(doc bson.Raw) string {
	sum := sha256.Sum256(doc)
	return hex.EncodeToString(sum[:8])
}

// createBatch inserts the documents that ms create, and records their changes, committed, in
// three commands whatever their number: a batchRecord naming them, the documents (unordered),
// then their changes. A document whose key is taken (a duplicate _id) is another writer's:
// a conflict, and nothing is recorded of it. The batch record is then deleted; a crash
// before that leaves it to Prepare (settleCreates).
//
// Creates take no version lock: of concurrent inserts of one _id the database lets exactly one
// through, which is what the lock secures for updates (FerretDB checks an update's filter
// apart from its write). Taking and releasing locks for 10,000 creates took half of an
// import's time.
func (s *Store) createBatch(ctx context.Context, collName string, ms []mutation) ([]Written, []string, error) {
	if len(ms) == 0 {
		return nil, nil, nil
	}
	rec := &batchRecord{ID: newChangeID(ms[0].at)[:18], At: ms[0].at, Actor: ms[0].actor, Collection: collName,
		Keys: make([]string, len(ms)), Sums: make([]string, len(ms))}
	changes := make([]*Change, len(ms))
	docs := make([]any, len(ms))
	for i, m := range ms {
		c, err := newChange(m)
		if err != nil {
			return nil, nil, err
		}
		c.ID, c.State = rec.changeID(i), changeCommitted
		c.Lock += "/" + c.State + "/" + c.ID
		changes[i], docs[i] = c, m.after
		rec.Keys[i], rec.Sums[i] = m.key, sumOf(c.After)
	}
	batches := s.db.Collection(batchesColl)
	if _, err := batches.InsertOne(ctx, rec); err != nil {
		return nil, nil, fmt.Errorf("record changes: %w", err)
	}
	_, err := s.db.Collection(collName).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	taken, err := duplicateKeys(err)
	if err != nil {
		// Which documents are written is unknown: they say, as they tell Prepare.
		written, err2 := s.settleCreates(ctx, rec)
		return written, nil, errors.Join(fmt.Errorf("insert into %s: %w", collName, err), err2)
	}
	var recorded []any
	var written []Written
	var conflicts []string
	for i, m := range ms {
		if taken[i] {
			conflicts = append(conflicts, m.key)
			continue
		}
		recorded = append(recorded, changes[i])
		written = append(written, Written{Collection: collName, Key: m.key, Version: 1, Doc: m.after})
	}
	if err := insertChanges(ctx, s.db.Collection(changesColl), recorded); err != nil {
		// The batch record stays, for Prepare.
		return written, conflicts, err
	}
	if _, err := batches.DeleteOne(ctx, bson.D{{Key: "_id", Value: rec.ID}}); err != nil {
		// Prepare finds the changes recorded (their IDs are taken) and deletes the record.
		return written, conflicts, fmt.Errorf("record changes: %w", err)
	}
	return written, conflicts, nil
}

// settleCreates records the changes of rec, a batch of creates that did not finish, from its
// documents: each that holds, at version 1, what the batch created (its checksum). It keeps
// the changes recorded already, deletes rec, and returns the documents that are still at
// version 1.
func (s *Store) settleCreates(ctx context.Context, rec *batchRecord) ([]Written, error) {
	stored, err := storedDocs(ctx, s.db.Collection(rec.Collection), rec.Keys, true)
	if err != nil {
		return nil, fmt.Errorf("settle batch %s: %w", rec.ID, err)
	}
	var recorded []any
	var written []Written
	for i, key := range rec.Keys {
		doc, ok := stored[key]
		if !ok {
			continue
		}
		after, err := s.afterOf(ctx, rec.Collection, key, 1, doc)
		if err != nil {
			return nil, fmt.Errorf("settle batch %s: %w", rec.ID, err)
		}
		if after == nil || sumOf(after) != rec.Sums[i] {
			continue // not the batch's document
		}
		d, err := decodeDoc(rec.Collection, after)
		if err != nil {
			return nil, fmt.Errorf("settle batch %s: %w", rec.ID, err)
		}
		node, nodeType, countries := d.(document).audit()
		c := &Change{ID: rec.changeID(i), At: rec.At, Actor: rec.Actor, Node: node, NodeType: nodeType,
			Operation: OpCreate, Collection: rec.Collection, Key: key, Version: 1, After: after,
			Countries: countries, State: changeCommitted}
		c.Lock = lockOf(mutation{op: OpCreate, coll: rec.Collection, key: key, version: 1}) + "/" + c.State + "/" + c.ID
		recorded = append(recorded, c)
		if doc.Version == 1 {
			if d, err = decodeDoc(rec.Collection, doc.Raw); err != nil {
				return nil, fmt.Errorf("settle batch %s: %w", rec.ID, err)
			}
			written = append(written, Written{Collection: rec.Collection, Key: key, Version: 1, Doc: d})
		}
	}
	if err := insertChanges(ctx, s.db.Collection(changesColl), recorded); err != nil {
		return nil, fmt.Errorf("settle batch %s: %w", rec.ID, err)
	}
	if _, err := s.db.Collection(batchesColl).DeleteOne(ctx, bson.D{{Key: "_id", Value: rec.ID}}); err != nil {
		return nil, fmt.Errorf("settle batch %s: %w", rec.ID, err)
	}
	return written, nil
}

// insertChanges inserts settled changes, keeping any recorded already (a duplicate key).
func insertChanges(ctx context.Context, changes *mongo.Collection, cs []any) error {
	if len(cs) == 0 {
		return nil
	}
	_, err := changes.InsertMany(ctx, cs, options.InsertMany().SetOrdered(false))
	if _, err := duplicateKeys(err); err != nil {
		return fmt.Errorf("record changes: %w", err)
	}
	return nil
}

// The changes of an update batch (updateBatch) are pending under the IDs pendingPrefix +
// "<batch>/<ID>", without their After (the document written is that). Settling inserts each
// under its ID, then deletes the batch's pending changes in one command.
const pendingPrefix = "pending/"

// splitPending returns the batch ("pending/<batch>/") and the ID of a batched pending
// change's ID; ok is false for any other ID.
func splitPending(id string) (batch, changeID string, ok bool) {
	if !strings.HasPrefix(id, pendingPrefix) {
		return "", "", false
	}
	i := strings.LastIndexByte(id, '/')
	return id[:i+1], id[i+1:], true
}

// batchFilter selects the pending changes of a batch: their IDs go on in hexadecimal after it.
func batchFilter(batch string) bson.D {
	return bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: batch}, {Key: "$lt", Value: batch + "~"}}}}
}

// updateBatch replaces the documents that ms update, under their version locks, as record
// does one at a time:
//
//  1. every change is inserted pending, in one command; one whose lock is taken has a
//     concurrent writer of its document and is a conflict;
//  2. the documents are read again: one that changed between the caller's read and the
//     lock is a conflict too (the lock keeps later writers out);
//  3. the others are replaced by _id (see writeDocs). The filter leaves out the version,
//     which step 2 checked and the lock holds: FerretDB reads the whole collection for each
//     replacement filtered on a field besides _id (190 ms at 10,000 documents, against 30);
//  4. the changes are settled (settleUpdates).
//
// It returns what it wrote, and the documents it left alone.
func (s *Store) updateBatch(ctx context.Context, collName string, ms []mutation) ([]Written, []string, error) {
	if len(ms) == 0 {
		return nil, nil, nil
	}
	type entry struct {
		m           mutation
		c           *Change // pending
		tried, done bool
	}
	batch := pendingPrefix + newChangeID(ms[0].at) + "/"
	entries := make([]*entry, len(ms))
	docs := make([]any, len(ms))
	for i, m := range ms {
		c, err := newChange(m)
		if err != nil {
			return nil, nil, err
		}
		c.ID = batch + c.ID
		held := *c
		held.After = nil
		entries[i], docs[i] = &entry{m: m, c: c}, &held
	}
	changes := s.db.Collection(changesColl)
	_, err := changes.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	lost, err := duplicateKeys(err)
	if err != nil {
		// Which changes are recorded is unknown, and no document is written yet.
		_, _ = changes.DeleteMany(ctx, batchFilter(batch))
		return nil, nil, fmt.Errorf("record changes: %w", err)
	}
	var conflicts, keys []string
	var locked []*entry
	for i, e := range entries {
		if lost[i] {
			conflicts = append(conflicts, e.m.key)
		} else {
			locked = append(locked, e)
			keys = append(keys, e.m.key)
		}
	}
	// settle settles the locked changes, as their entries say.
	settle := func() {
		pending, done := make([]*Change, len(locked)), make([]bool, len(locked))
		for i, e := range locked {
			pending[i], done[i] = e.c, e.done
		}
		// If this fails, Prepare settles the batch (as record leaves a change to it).
		_ = s.settleUpdates(ctx, pending, done)
	}

	coll := s.db.Collection(collName)
	stored, err := storedDocs(ctx, coll, keys, false)
	if err != nil {
		settle()
		return nil, conflicts, err
	}
	var replace []mongo.WriteModel
	for _, e := range locked {
		if doc, ok := stored[e.m.key]; !ok || doc.Version != e.m.version-1 {
			conflicts = append(conflicts, e.m.key)
			continue
		}
		e.tried = true
		replace = append(replace, mongo.NewReplaceOneModel().SetFilter(bson.D{{Key: "_id", Value: e.m.key}}).SetReplacement(e.m.after))
	}
	n, writeErr := writeDocs(ctx, coll, nil, replace)
	if writeErr == nil && n == len(replace) {
		for _, e := range locked {
			e.done = e.tried
		}
	} else {
		// Some writes failed: the documents say which were made, as they tell Prepare.
		stored, err := storedDocs(ctx, coll, keys, false)
		if err != nil {
			// Prepare settles the batch.
			return nil, conflicts, errors.Join(writeErr, err)
		}
		for _, e := range locked {
			doc, ok := stored[e.m.key]
			e.done = e.tried && changeDone(e.m.op, e.m.version, doc.Version, ok)
			if e.tried && !e.done && writeErr == nil {
				conflicts = append(conflicts, e.m.key)
			}
		}
	}
	settle()
	var written []Written
	for _, e := range locked {
		if e.done {
			written = append(written, Written{Collection: collName, Key: e.m.key, Version: e.m.version, Doc: e.m.after})
		}
	}
	return written, conflicts, writeErr
}

// conflictError is ErrConflict naming the documents (keys) that a batch left alone, or nil.
func conflictError(keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	const shown = 10
	if len(keys) > shown {
		return fmt.Errorf("%w: %s and %d more", ErrConflict, strings.Join(keys[:shown], ", "), len(keys)-shown)
	}
	return fmt.Errorf("%w: %s", ErrConflict, strings.Join(keys, ", "))
}

// settleUpdates settles pending changes of update batches (updateBatch): each is inserted
// under its own ID, committed when done says so and aborted otherwise, with its lock released
// as settle releases it; then the pending changes of each batch are deleted, in one command.
// A crash in between leaves both: settling again keeps the inserted change (its ID is taken)
// and deletes the pending one.
func (s *Store) settleUpdates(ctx context.Context, pending []*Change, done []bool) error {
	if len(pending) == 0 {
		return nil
	}
	settled := make([]any, len(pending))
	var batches []string
	for i, p := range pending {
		batch, id, _ := splitPending(p.ID)
		c := *p
		c.ID, c.State = id, changeCommitted
		if !done[i] {
			c.State = changeAborted
		}
		c.Lock = p.Lock + "/" + c.State + "/" + c.ID
		settled[i] = &c
		if !slices.Contains(batches, batch) {
			batches = append(batches, batch)
		}
	}
	changes := s.db.Collection(changesColl)
	if err := insertChanges(ctx, changes, settled); err != nil {
		return err
	}
	for _, b := range batches {
		if _, err := changes.DeleteMany(ctx, batchFilter(b)); err != nil {
			return fmt.Errorf("settle changes: %w", err)
		}
	}
	return nil
}

// duplicateKeys returns the indexes of the writes that err, of InsertMany or BulkWrite,
// reports as duplicate keys, and err itself unless they are all it reports.
func duplicateKeys(err error) (map[int]bool, error) {
	if err == nil {
		return nil, nil
	}
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil {
		return nil, err
	}
	dup := map[int]bool{}
	for _, we := range bwe.WriteErrors {
		if !mongo.IsDuplicateKeyError(we.WriteError) {
			return nil, err
		}
		dup[we.Index] = true
	}
	return dup, nil
}

// ChangeQuery selects audit entries: of one node (global ID) when Node is set, made at or
// after Since when set, and concerning one of Countries unless All.
type ChangeQuery struct {
	Node      *string
	Since     *time.Time
	All       bool
	Countries []string
}

var changeOrder = order{name: "change", keys: []sortKey{{field: "_id"}}}

// Changes returns one page of committed changes, oldest first.
func (s *Store) Changes(ctx context.Context, q ChangeQuery, p PageArgs) (*Page[Change], error) {
	conds := bson.A{bson.D{{Key: "state", Value: changeCommitted}}}
	if q.Node != nil {
		conds = append(conds, bson.D{{Key: "node", Value: *q.Node}})
	}
	if q.Since != nil {
		conds = append(conds, bson.D{{Key: "at", Value: bson.D{{Key: "$gte", Value: *q.Since}}}})
	}
	if !q.All {
		conds = append(conds, in("countries", q.Countries))
	}
	return paginate(ctx, s, changesColl, allOf(conds), changeOrder, p, func(c *Change) []any { return []any{c.ID} })
}

// changeIndexes are the audit trail's indexes: by node and by time.
var changeIndexes = []mongo.IndexModel{
	{Keys: bson.D{{Key: "lock", Value: 1}}, Options: options.Index().SetUnique(true)},
	{Keys: bson.D{{Key: "node", Value: 1}, {Key: "_id", Value: 1}}},
	{Keys: bson.D{{Key: "state", Value: 1}}},
	{Keys: bson.D{{Key: "at", Value: 1}}, Options: options.Index()},
}

// allOf combines conditions into one filter document.
func allOf(conds bson.A) bson.D {
	switch len(conds) {
	case 0:
		return bson.D{}
	case 1:
		return conds[0].(bson.D)
	}
	return bson.D{{Key: "$and", Value: conds}}
}
