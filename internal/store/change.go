package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
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
	c := &Change{
		ID: newChangeID(m.at), At: m.at, Actor: m.actor, Node: m.node, NodeType: m.nodeType,
		Operation: m.op, Collection: m.coll, Key: m.key, Version: m.version,
		Countries: m.countries, State: changePending,
	}
	c.Lock = lockOf(m)
	var err error
	if m.before != nil {
		if c.Before, err = bson.Marshal(m.before); err != nil {
			return nil, fmt.Errorf("record change: %w", err)
		}
	}
	if m.after != nil {
		if c.After, err = bson.Marshal(m.after); err != nil {
			return nil, fmt.Errorf("record change: %w", err)
		}
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
	w := Written{Collection: m.coll, Key: m.key, Version: m.version, Doc: m.after}
	// The document is written: a failure to publish it must not fail the mutation (the next
	// publish asks followers to read everything).
	_ = s.committed(ctx, []Written{w}, nil)
	return c, nil
}

// recordTimeout bounds the three steps of one change.
const recordTimeout = 30 * time.Second

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

// settleChanges marks each change left pending by a crash committed or aborted, from the
// state of its document: written (the version after the change, or gone for a delete) or not.
func (s *Store) settleChanges(ctx context.Context) error {
	changes := s.db.Collection(changesColl)
	pending, err := findAll[Change](ctx, changes, bson.D{{Key: "state", Value: changePending}}, nil)
	if err != nil {
		return err
	}
	var reload []string
	defer func() {
		// Followers cannot know what a crashed writer changed: they read those collections.
		if len(reload) > 0 {
			_ = s.committed(ctx, nil, reload)
		}
	}()
	for _, c := range pending {
		var doc struct {
			Version int `bson:"version"`
		}
		err := s.db.Collection(c.Collection).FindOne(ctx, bson.D{{Key: "_id", Value: c.Key}}).Decode(&doc)
		gone := errors.Is(err, mongo.ErrNoDocuments)
		if err != nil && !gone {
			return fmt.Errorf("settle change %s: %w", c.ID, err)
		}
		// Written if the document is at the change's version or later (a later change built on
		// it), or gone after a delete.
		done := (c.Operation == OpDelete && gone) || (c.Operation != OpDelete && !gone && doc.Version >= c.Version)
		if err := s.settle(ctx, c, done); err != nil {
			return err
		}
		if done && !slices.Contains(reload, c.Collection) {
			reload = append(reload, c.Collection)
		}
	}
	return nil
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
