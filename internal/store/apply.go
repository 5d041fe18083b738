package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fealac/smegraph/internal/gid"
)

// Revision is the change record every stored document carries.
type Revision struct {
	// Version starts at 1 and grows by one with every change.
	Version int `bson:"version"`
	// UpdatedAt is when the document last changed, in UTC, millisecond precision.
	UpdatedAt time.Time `bson:"updatedAt"`
}

// Rev returns the revision of the document that embeds it: the write path sets it, and the
// read model orders late writes by it.
func (r *Revision) Rev() *Revision { return r }

func (c *Country) key() string    { return c.Code }
func (a *Agency) key() string     { return a.Key }
func (g *Grouping) key() string   { return g.Slug }
func (m *Membership) key() string { return m.Key }
func (m *Meeting) key() string    { return m.Key }
func (d *Decision) key() string   { return d.Key }

// document is a stored document with a key and a revision. derive recomputes the fields the
// store keeps for filtering and ordering, from the document and the countries (by alpha-2
// code) it refers to.
type document interface {
	key() string
	Rev() *Revision
	derive(countries map[string]*Country)
	audit() (node, nodeType string, countries []string)
}

// Dataset is a whole set of reference documents, as the seed package builds them.
type Dataset struct {
	Countries   []*Country
	Groupings   []*Grouping
	Meetings    []*Meeting
	Agencies    []*Agency
	Memberships []*Membership
	Decisions   []*Decision
}

// ApplyResult counts what Apply did (or, in a dry run, would do) to one collection, and
// names the documents it inserted or updated.
type ApplyResult struct {
	Collection                   string
	Inserted, Updated, Unchanged int
	Changed                      []string // "insert <key>" or "update <key>"
}

// ApplyOptions change how Apply writes. The zero value is the seed's: one bulk write per
// collection, no audit trail.
type ApplyOptions struct {
	// Actor, when set, records every change in the audit trail as made by it, each under its
	// version lock, in a few commands per collection (see recordBatch).
	Actor *Actor
	// CheckVersions takes the Version of each document as the stored version it was made from
	// (0 for a new document): one stored at another version changed since, and is left alone
	// and reported as ErrConflict. Without it, ds is applied over whatever is stored.
	CheckVersions bool
	// DryRun computes what would change and writes nothing.
	DryRun bool
}

// Apply writes ds so that every document in it is stored as given: missing documents are
// inserted with version 1, documents that differ are replaced with their version increased,
// and equal documents are left alone (a second Apply of the same dataset writes nothing).
// Documents that are stored but not in ds are kept. Revision fields of ds are ignored; now is
// the UpdatedAt of what changes.
//
// Collections are written in dependency order (countries and groupings before what refers to
// them). FerretDB has no transactions, so a failure part-way leaves some documents new and
// some old, each of them whole; running Apply again completes the job.
func (s *Store) Apply(ctx context.Context, ds *Dataset, now time.Time) ([]ApplyResult, error) {
	return s.ApplyWith(ctx, ds, now, ApplyOptions{})
}

// ApplyWith is Apply with options: audited by an actor (imports), or a dry run.
func (s *Store) ApplyWith(ctx context.Context, ds *Dataset, now time.Time, opts ApplyOptions) ([]ApplyResult, error) {
	now = now.UTC().Truncate(time.Millisecond)
	var results []ApplyResult
	// Documents derive fields from the countries they name: those being applied, else the
	// stored ones.
	countries := map[string]*Country{}
	steps := []func() (ApplyResult, error){
		func() (ApplyResult, error) {
			stored, err := findAll[Country](ctx, s.db.Collection(countriesColl), bson.D{}, nil)
			if err != nil {
				return ApplyResult{}, err
			}
			for _, c := range append(stored, ds.Countries...) {
				c.derive(nil)
				countries[c.Code] = c
			}
			return apply(ctx, s, countriesColl, ds.Countries, countries, now, opts)
		},
		func() (ApplyResult, error) {
			return apply(ctx, s, groupingsColl, ds.Groupings, countries, now, opts)
		},
		func() (ApplyResult, error) {
			return apply(ctx, s, meetingsColl, ds.Meetings, countries, now, opts)
		},
		func() (ApplyResult, error) {
			return apply(ctx, s, agenciesColl, ds.Agencies, countries, now, opts)
		},
		func() (ApplyResult, error) {
			return apply(ctx, s, membershipsColl, ds.Memberships, countries, now, opts)
		},
		func() (ApplyResult, error) {
			return apply(ctx, s, decisionsColl, ds.Decisions, countries, now, opts)
		},
	}
	for _, step := range steps {
		r, err := step()
		if err != nil {
			return results, err
		}
		results = append(results, r)
	}
	return results, nil
}

// AgencyAfter returns the agency that CreateAgency (old nil) or UpdateAgency would store for
// e in country c, without writing it, or nil when the update changes nothing: an import plans
// each of its rows so and writes them all with one ApplyWith (CheckVersions set). Unlike those
// methods it reads nothing, so the caller resolves the country (e.Country is not read, and an
// agency stays in its country) and keeps agencies' names unique within their countries. A
// new agency gets a fresh key; at is the date of the source recording the edit. Revision is
// old's (zero for a new agency) until ApplyWith sets it. An invalid edit returns Problems.
func (s *Store) AgencyAfter(ctx context.Context, old *Agency, e AgencyEdit, c *Country, at time.Time) (*Agency, error) {
	e.Country = nil
	e.Given = maps.Clone(e.Given)
	delete(e.Given, "country")
	date := at.UTC().Format("2006-01-02")
	if old == nil {
		ag := &Agency{Country: c.Code, Sources: []Source{}}
		p := s.applyAgencyEdit(ctx, ag, e, true, map[string]*Country{})
		// A new agency's country is c; that e does not name it is no problem.
		if p = slices.DeleteFunc(p, func(x Problem) bool { return x.Field == "country" }); len(p) > 0 {
			return nil, p
		}
		// As CreateAgency makes them.
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		ag.Key = "AG-" + ag.Country + "-" + strings.ToUpper(hex.EncodeToString(b))
		ag.IdentificationBasis = "entered through smegraph"
		ag.Sources = append(ag.Sources, provenance("Entered", date))
		ag.derive(map[string]*Country{c.Code: c})
		return ag, nil
	}
	ag := *old
	ag.Names = slices.Clone(old.Names)
	ag.Sources = slices.Clone(old.Sources)
	if p := s.applyAgencyEdit(ctx, &ag, e, false, map[string]*Country{}); len(p) > 0 {
		return nil, p
	}
	ag.derive(map[string]*Country{c.Code: c})
	if same, err := sameBSON(&ag, old); err != nil || same {
		return nil, err
	}
	if src := provenance("Updated", date); !slices.Contains(ag.Sources, src) {
		ag.Sources = append(ag.Sources, src)
	}
	return &ag, nil
}

// IsEmpty reports whether the database holds no countries, i.e. was never seeded.
func (s *Store) IsEmpty(ctx context.Context) (bool, error) {
	n, err := s.db.Collection(countriesColl).CountDocuments(ctx, bson.D{}, options.Count().SetLimit(1))
	if err != nil {
		return false, fmt.Errorf("count countries: %w", err)
	}
	return n == 0, nil
}

// apply writes docs to coll as Apply describes, in one read and a few commands: one bulk
// write, or the audited batch of recordBatch.
func apply[T any, PT interface {
	*T
	document
}](ctx context.Context, s *Store, collName string, docs []PT, countries map[string]*Country, now time.Time, opts ApplyOptions) (ApplyResult, error) {
	coll := s.db.Collection(collName)
	res := ApplyResult{Collection: collName, Changed: []string{}}
	if len(docs) == 0 {
		return res, nil
	}
	keys := make([]string, len(docs))
	for i, d := range docs {
		keys[i] = d.key()
		d.derive(countries)
	}
	stored, err := findAll[T](ctx, coll, byKeys(keys), nil)
	if err != nil {
		return res, err
	}
	byKey := make(map[string]PT, len(stored))
	for _, d := range stored {
		byKey[PT(d).key()] = d
	}

	var inserts []any
	var updates []mongo.WriteModel
	var audited []mutation
	var written []Written
	var conflicts []string
	for _, d := range docs {
		old, ok := byKey[d.key()]
		if from := d.Rev().Version; opts.CheckVersions && ((!ok && from != 0) || (ok && from != old.Rev().Version)) {
			conflicts = append(conflicts, d.key())
			continue
		}
		if !ok {
			*d.Rev() = Revision{Version: 1, UpdatedAt: now}
			inserts = append(inserts, d)
			written = append(written, Written{Collection: collName, Key: d.key(), Version: 1, Doc: d})
			audited = append(audited, auditOf(opts.Actor, OpCreate, collName, nil, d, now))
			res.Inserted++
			res.Changed = append(res.Changed, "insert "+d.key())
			continue
		}
		*d.Rev() = *old.Rev()
		same, err := sameBSON(d, old)
		if err != nil {
			return res, err
		}
		if same {
			res.Unchanged++
			continue
		}
		*d.Rev() = Revision{Version: old.Rev().Version + 1, UpdatedAt: now}
		// The version in the filter makes a concurrent change win instead of being lost.
		updates = append(updates, mongo.NewReplaceOneModel().
			SetFilter(bson.D{{Key: "_id", Value: d.key()}, {Key: "version", Value: old.Rev().Version}}).
			SetReplacement(d))
		written = append(written, Written{Collection: collName, Key: d.key(), Version: d.Rev().Version, Doc: d})
		audited = append(audited, auditOf(opts.Actor, OpUpdate, collName, old, d, now))
		res.Updated++
		res.Changed = append(res.Changed, "update "+d.key())
	}
	if len(written) == 0 || opts.DryRun {
		return res, conflictError(conflicts)
	}
	if opts.Actor != nil {
		var done []Written
		for part := range slices.Chunk(audited, maxBatch) {
			var w []Written
			w, err = s.recordBatch(ctx, collName, part)
			done = append(done, w...)
			if err != nil {
				break
			}
		}
		if len(done) < len(audited) {
			// Say what was written, not what was planned.
			res.Inserted, res.Updated, res.Changed = 0, 0, []string{}
			for _, w := range done {
				if w.Version == 1 {
					res.Inserted++
					res.Changed = append(res.Changed, "insert "+w.Key)
				} else {
					res.Updated++
					res.Changed = append(res.Changed, "update "+w.Key)
				}
			}
		}
		if err = errors.Join(err, conflictError(conflicts)); err != nil {
			return res, fmt.Errorf("write %s: %w", collName, err)
		}
		return res, nil
	}
	if _, err := writeDocs(ctx, coll, inserts, updates); err != nil {
		return res, fmt.Errorf("write %s: %w", coll.Name(), err)
	}
	_ = s.committed(ctx, written, nil)
	return res, conflictError(conflicts)
}

// manyKeys is the most keys that a query selects by _id: with more, it reads the whole
// collection. FerretDB reads every document of a collection for a query either way, and
// compares each with every key of an $in: 10,000 keys of 10,000 documents took 2.9 s, all
// the documents 0.9 s.
const manyKeys = 100

// byKeys returns a filter that selects at least the documents with the given keys.
func byKeys(keys []string) bson.D {
	if len(keys) > manyKeys {
		return bson.D{}
	}
	return in("_id", keys)
}

// maxUpdates is the most updates that writeDocs sends in one command. FerretDB 1 on SQLite
// holds a pooled connection for each update of a command until the command ends, and waits
// forever once a command holds all 100 (measured: a bulk write of 99 replacements returns
// in 3 s, one of 100 never).
const maxUpdates = 50

// writeDocs inserts documents into coll (in one command, unordered) and then applies updates
// (in commands of at most maxUpdates, unordered), stopping at the first command that fails.
// Without an error, it returns how many documents were inserted or matched.
func writeDocs(ctx context.Context, coll *mongo.Collection, inserts []any, updates []mongo.WriteModel) (int, error) {
	n := 0
	if len(inserts) > 0 {
		res, err := coll.InsertMany(ctx, inserts, options.InsertMany().SetOrdered(false))
		if res != nil {
			n += len(res.InsertedIDs)
		}
		if err != nil {
			return n, err
		}
	}
	for part := range slices.Chunk(updates, maxUpdates) {
		res, err := coll.BulkWrite(ctx, part, options.BulkWrite().SetOrdered(false))
		if res != nil {
			n += int(res.MatchedCount)
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// sameBSON reports whether a and b marshal to the same BSON bytes.
func sameBSON(a, b any) (bool, error) {
	ab, err := bson.Marshal(a)
	if err != nil {
		return false, fmt.Errorf("marshal: %w", err)
	}
	bb, err := bson.Marshal(b)
	if err != nil {
		return false, fmt.Errorf("marshal: %w", err)
	}
	return bytes.Equal(ab, bb), nil
}

// derivedVersion names the current shape of the derived fields; Prepare re-derives every
// document of a database stored under another version.
const derivedVersion = 4

// rederive recomputes the derived fields of every stored document whose stored version of
// them is not derivedVersion, without changing its revision: they are not content.
func (s *Store) rederive(ctx context.Context) error {
	meta := s.db.Collection(metaColl)
	id := bson.D{{Key: "_id", Value: "derived"}}
	var doc struct {
		Version int `bson:"version"`
	}
	if err := meta.FindOne(ctx, id).Decode(&doc); err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("read derived version: %w", err)
	}
	if doc.Version == derivedVersion {
		return nil
	}
	countries, err := findAll[Country](ctx, s.db.Collection(countriesColl), bson.D{}, nil)
	if err != nil {
		return err
	}
	byCode := map[string]*Country{}
	for _, c := range countries {
		c.derive(nil)
		byCode[c.Code] = c
	}
	for _, step := range []func() error{
		func() error { return rederive[Country](ctx, s, s.db.Collection(countriesColl), byCode) },
		func() error { return rederive[Grouping](ctx, s, s.db.Collection(groupingsColl), byCode) },
		func() error { return rederive[Meeting](ctx, s, s.db.Collection(meetingsColl), byCode) },
		func() error { return rederive[Agency](ctx, s, s.db.Collection(agenciesColl), byCode) },
		func() error { return rederive[Decision](ctx, s, s.db.Collection(decisionsColl), byCode) },
	} {
		if err := step(); err != nil {
			return err
		}
	}
	_, err = meta.UpdateOne(ctx, id, bson.D{{Key: "$set", Value: bson.D{{Key: "version", Value: derivedVersion}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("store derived version: %w", err)
	}
	return nil
}

// rederive rewrites the documents of coll whose derived fields are out of date.
func rederive[T any, PT interface {
	*T
	document
}](ctx context.Context, s *Store, coll *mongo.Collection, countries map[string]*Country) error {
	docs, err := findAll[T](ctx, coll, bson.D{}, nil)
	if err != nil {
		return err
	}
	var writes []mongo.WriteModel
	for _, d := range docs {
		before, err := bson.Marshal(d)
		if err != nil {
			return fmt.Errorf("marshal: %w", err)
		}
		PT(d).derive(countries)
		after, err := bson.Marshal(d)
		if err != nil {
			return fmt.Errorf("marshal: %w", err)
		}
		if bytes.Equal(before, after) {
			continue
		}
		writes = append(writes, mongo.NewReplaceOneModel().
			SetFilter(bson.D{{Key: "_id", Value: PT(d).key()}, {Key: "version", Value: PT(d).Rev().Version}}).
			SetReplacement(d))
	}
	if len(writes) == 0 {
		return nil
	}
	if _, err := writeDocs(ctx, coll, nil, writes); err != nil {
		return fmt.Errorf("rederive %s: %w", coll.Name(), err)
	}
	// The versions stay as they were, so followers read the collection again.
	_ = s.committed(ctx, nil, []string{coll.Name()})
	return nil
}

// auditOf returns the audited mutation that writes d over old (nil for an insert).
func auditOf[PT document](a *Actor, op, coll string, old, d PT, now time.Time) mutation {
	if a == nil {
		return mutation{}
	}
	node, nodeType, countries := d.audit()
	m := mutation{actor: a.Name, op: op, coll: coll, key: d.key(), node: node, nodeType: nodeType,
		version: d.Rev().Version, after: d, countries: countries, at: now}
	if op == OpUpdate {
		m.before = old
	}
	return m
}

// audit returns what the audit trail records of a document: its node's global ID, type and
// the countries it concerns.
func (c *Country) audit() (string, string, []string) { return c.ID(), "Country", []string{c.Code} }
func (a *Agency) audit() (string, string, []string)  { return a.ID(), "Agency", []string{a.Country} }
func (g *Grouping) audit() (string, string, []string) {
	return g.ID(), "Grouping", []string{}
}
func (m *Membership) audit() (string, string, []string) {
	return gid.Encode(gid.Grouping, m.Grouping), "Membership", []string{m.Country}
}
func (m *Meeting) audit() (string, string, []string)  { return m.ID(), "Meeting", []string{m.Host} }
func (d *Decision) audit() (string, string, []string) { return d.ID(), "Decision", d.Countries }

// ReadAll returns every stored reference document, each collection by key: what an export
// writes.
func (s *Store) ReadAll(ctx context.Context) (*Dataset, error) {
	return s.ReadCollections(ctx, ReferenceCollections...)
}

// ReadCollections returns every stored document of the named reference collections (the
// others' slices stay nil), in the order exports list them.
func (s *Store) ReadCollections(ctx context.Context, colls ...string) (*Dataset, error) {
	var ds Dataset
	var err error
	for _, c := range colls {
		coll := s.db.Collection(c)
		switch c {
		case countriesColl:
			ds.Countries, err = findAll[Country](ctx, coll, bson.D{}, bson.D{{Key: "listPosition", Value: 1}, {Key: "_id", Value: 1}})
		case groupingsColl:
			ds.Groupings, err = findAll[Grouping](ctx, coll, bson.D{}, bson.D{{Key: "position", Value: 1}, {Key: "_id", Value: 1}})
		case meetingsColl:
			ds.Meetings, err = findAll[Meeting](ctx, coll, bson.D{}, bson.D{{Key: "number", Value: 1}})
		case agenciesColl:
			ds.Agencies, err = findAll[Agency](ctx, coll, bson.D{}, bson.D{{Key: "_id", Value: 1}})
		case membershipsColl:
			ds.Memberships, err = findAll[Membership](ctx, coll, bson.D{}, bson.D{{Key: "_id", Value: 1}})
		case decisionsColl:
			ds.Decisions, err = findAll[Decision](ctx, coll, bson.D{}, bson.D{{Key: "seq", Value: 1}})
		default:
			err = fmt.Errorf("%q is not a reference collection", c)
		}
		if err != nil {
			return nil, err
		}
	}
	return &ds, nil
}
