// Package store holds all MongoDB access of smegraph: one file per collection, documents with
// explicit bson names, the write path (rules, version locks, audit trail, change feed), the
// indexes of its own queries, and the audit trail's keyset pagination. Reads of the reference
// graph do not come here: internal/readmodel answers them from memory, kept in step through
// the change feed (feed.go).
//
// Every method takes ctx first and returns ErrNotFound (checked with errors.Is) when a single
// document is missing; other errors wrap the driver's error with what the store was doing.
// Queries use only what both MongoDB and FerretDB (SQLite and PostgreSQL backends) answer the
// same way: no transactions, no $lookup, no $facet, no multi-accumulator $group.
package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ErrNotFound is returned when a document looked up by its key does not exist.
var ErrNotFound = errors.New("not found")

// Collection names.
const (
	countriesColl   = "countries"
	agenciesColl    = "agencies"
	groupingsColl   = "groupings"
	membershipsColl = "memberships"
	meetingsColl    = "meetings"
	decisionsColl   = "decisions"
	// metaColl holds the store's own settings, such as the cursor key.
	metaColl = "meta"
)

// Store reads and writes smegraph's collections in one MongoDB database.
type Store struct {
	db        *mongo.Database
	cursorKey []byte // signs cursors; loaded by Prepare
	listen    listeners
}

// New returns a Store over the database named dbName of client. The client is the process's
// only one (it is the connection pool); the caller disconnects it.
func New(client *mongo.Client, dbName string) *Store {
	return &Store{db: client.Database(dbName)}
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err(); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// Drop removes the whole database. Tests use it; the server never calls it.
func (s *Store) Drop(ctx context.Context) error {
	if err := s.db.Drop(ctx); err != nil {
		return fmt.Errorf("drop database: %w", err)
	}
	return nil
}

// Prepare makes the database ready to serve: it creates the indexes and loads the key that
// signs cursors, creating it (32 random bytes) on the database's first start. Every process
// on the same database shares the key, so a cursor from one replica works on another and
// after a restart. Call it once before serving.
func (s *Store) Prepare(ctx context.Context) error {
	if err := s.EnsureIndexes(ctx); err != nil {
		return err
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return fmt.Errorf("cursor key: %w", err)
	}
	meta := s.db.Collection(metaColl)
	id := bson.D{{Key: "_id", Value: "cursor-key"}}
	// Insert only if absent; a concurrent first start may win the race, which is fine.
	_, err := meta.UpdateOne(ctx, id,
		bson.D{{Key: "$setOnInsert", Value: bson.D{{Key: "key", Value: base64.StdEncoding.EncodeToString(fresh)}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("store cursor key: %w", err)
	}
	var doc struct {
		Key string `bson:"key"`
	}
	if err := meta.FindOne(ctx, id).Decode(&doc); err != nil {
		return fmt.Errorf("read cursor key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(doc.Key)
	if err != nil || len(key) < 16 {
		return fmt.Errorf("cursor key in %s is malformed", metaColl)
	}
	s.cursorKey = key
	if err := s.settleChanges(ctx); err != nil {
		return err
	}
	return s.rederive(ctx)
}

// EnsureIndexes creates the indexes that the store's queries use. It is idempotent: an index
// that already exists with the same keys and options is left as it is.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	asc := func(keys ...string) mongo.IndexModel {
		d := bson.D{}
		for _, k := range keys {
			d = append(d, bson.E{Key: k, Value: 1})
		}
		return mongo.IndexModel{Keys: d}
	}
	unique := func(key string) mongo.IndexModel {
		return mongo.IndexModel{Keys: bson.D{{Key: key, Value: 1}}, Options: options.Index().SetUnique(true)}
	}
	indexes := map[string][]mongo.IndexModel{
		// Reads of the graph come from the in-memory read model; the database needs only the
		// indexes of the store's own queries and of its uniqueness rules.
		// Lookups by any ISO form (writes resolve country references).
		countriesColl: {unique("alpha3"), unique("numeric")},
		// The agencies of a country (the name check of createAgency).
		agenciesColl: {asc("country", "_id")},
		// The periods of a country in a grouping (the overlap check of upsertMembership).
		membershipsColl: {asc("grouping", "country")},
		// Meeting numbers are unique.
		meetingsColl: {unique("number")},
		changesColl:  changeIndexes,
		tokensColl:   {unique("name")},
	}
	// Databases made before seq stopped being unique drop that index (an error means it is
	// gone already).
	_ = s.db.Collection(decisionsColl).Indexes().DropOne(ctx, "seq_1")
	for coll, models := range indexes {
		// One index per command: FerretDB v1.24 drops the connection when a createIndexes
		// command names two or more indexes that all exist already (as on every restart).
		for _, m := range models {
			if _, err := s.db.Collection(coll).Indexes().CreateOne(ctx, m); err != nil {
				return fmt.Errorf("create index on %s: %w", coll, err)
			}
		}
	}
	return nil
}

// findBatchSize is the first-batch size of findAll: a result of up to this many documents
// costs one command, not a find plus getMores. It is not larger because FerretDB's time for a
// find grows with the batch size asked for (a batch size of 2^30 took seconds, measured with
// v1.24.2 on SQLite), whatever the result size.
const findBatchSize = 10_000

// findAll runs a find and decodes every document.
func findAll[T any](ctx context.Context, coll *mongo.Collection, filter any, sort bson.D) ([]*T, error) {
	opts := options.Find().SetBatchSize(findBatchSize)
	if sort != nil {
		opts.SetSort(sort)
	}
	cur, err := coll.Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("find in %s: %w", coll.Name(), err)
	}
	out := []*T{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read %s: %w", coll.Name(), err)
	}
	return out, nil
}

// findOne returns the document matching filter, or ErrNotFound.
func findOne[T any](ctx context.Context, coll *mongo.Collection, filter any) (*T, error) {
	var doc T
	err := coll.FindOne(ctx, filter).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find one in %s: %w", coll.Name(), err)
	}
	return &doc, nil
}

// in returns the filter {field: {$in: keys}}.
func in(field string, keys []string) bson.D {
	return bson.D{{Key: field, Value: bson.D{{Key: "$in", Value: keys}}}}
}

// Source is where a fact comes from: a web page (URL set) or a named document such as the
// FEALAC SME center brief (URL nil).
type Source struct {
	Title string  `bson:"title"`
	URL   *string `bson:"url"`
}

// LocalizedText is a text in one language. Lang is a BCP-47 tag ("en", "es", "pt", "mi").
type LocalizedText struct {
	Lang string `bson:"lang"`
	Text string `bson:"text"`
}

// bsonID returns the filter {_id: key}.
func bsonID(key string) bson.D { return bson.D{{Key: "_id", Value: key}} }

// derivedFields are the stored fields the store computes, by collection: exports and the
// audit trail leave them out.
var derivedFields = map[string][]string{
	countriesColl: {"nameKeys", "codeKeys", "sortName", "hasAgencyURL"},
	agenciesColl:  {"nameKeys", "sortName", "countryCodes", "countryKeys", "region"},
	groupingsColl: {"nameKeys", "sortName"},
	meetingsColl:  {"hostCodes", "hostKeys", "sortStart", "titleKeys", "sortName"},
	decisionsColl: {"titleKeys", "countryCodes", "countryKeys", "sortName"},
}

// WithoutDerived returns doc, a stored document of collection coll, without the fields the
// store derives.
func WithoutDerived(coll string, doc bson.Raw) (bson.D, error) {
	var d bson.D
	if err := bson.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(d, func(e bson.E) bool { return slices.Contains(derivedFields[coll], e.Key) }), nil
}
