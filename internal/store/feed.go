package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The change feed tells every process on the database which reference documents changed, so
// that each keeps its in-memory read model in step without rereading collections:
//
//   - generationColl holds one document, {_id: "gen", gen: N}. Every committed write raises N
//     by one ($inc) after its documents are written; polling it costs one tiny read whatever
//     the size of the data (FerretDB decodes every document of a collection it queries, so
//     the marker has a collection of its own).
//   - feedColl holds the last feedKeep generations, one entry each under _id N: the documents
//     written (a few, for a mutation) or the collections to read again (a bulk write). A
//     process that falls further behind than that, or finds a generation that never
//     arrives (a writer died between its $inc and its entry), reads everything again.
const (
	generationColl = "generation"
	feedColl       = "feed"
	// feedKeep is how many generations the feed keeps; older entries are pruned.
	feedKeep = 256
	// feedDocs is the most documents one feed entry carries; a larger write names its
	// collections instead, and followers read those collections whole.
	feedDocs = 16
)

// Written is one reference document write that the database has acknowledged.
type Written struct {
	Collection string
	Key        string
	// Version is the document's version after the write (before it, for a delete).
	Version int
	// Doc is the stored document (*Country, *Agency, *Grouping, *Membership, *Meeting or
	// *Decision); nil when the write deleted it.
	Doc any
	// At is when a delete was made (the change's time); a later document of the same key is
	// a re-creation, an earlier one a write that reached the reader late.
	At time.Time
}

// FeedEntry is one generation of the change feed.
type FeedEntry struct {
	Gen int64
	// Docs are the documents written, when Reload is empty.
	Docs []Written
	// Reload names collections to read whole: the generation wrote too many documents to
	// carry, or could not say which (recovery after a crash).
	Reload []string
}

// feedDoc is a document of the feed as stored.
type feedDoc struct {
	Coll    string    `bson:"coll"`
	Key     string    `bson:"key"`
	Version int       `bson:"version"`
	Doc     bson.Raw  `bson:"doc,omitempty"` // absent for a delete
	At      time.Time `bson:"at,omitempty"`
}

// feedRecord is a feed entry as stored.
type feedRecord struct {
	Gen    int64     `bson:"_id"`
	At     time.Time `bson:"at"`
	Docs   []feedDoc `bson:"docs"`
	Reload []string  `bson:"reload"`
}

// WriteListener is told of the reference documents a write of this process stored, after
// the database acknowledged them (ws), or of the collections it rewrote without saying which
// documents (reload: re-derivation, crash recovery); gen is the write's generation in the
// change feed, 0 when it could not be published.
type WriteListener func(ctx context.Context, gen int64, ws []Written, reload []string)

// listeners are the WriteListeners of a Store, and whether a write is missing from the feed.
type listeners struct {
	mu          sync.RWMutex
	fs          []WriteListener
	unpublished atomic.Bool
}

// OnWrite registers f to be told, synchronously and before the writing method returns, of
// every reference document this Store writes: the in-memory read model applies them there,
// so a mutation's response and every later request see its result.
func (s *Store) OnWrite(f WriteListener) {
	s.listen.mu.Lock()
	defer s.listen.mu.Unlock()
	s.listen.fs = append(s.listen.fs, f)
}

// committed publishes acknowledged writes: one generation of the change feed for other
// processes (the documents themselves, or for a large write its collections), then this
// process's listeners. A failure to publish is returned after the listeners ran, so that this
// process is in step whatever happens; followers on other processes catch up through the
// gap rule of the feed (see Follow).
func (s *Store) committed(ctx context.Context, ws []Written, reload []string) error {
	if len(ws) == 0 && len(reload) == 0 {
		return nil
	}
	if s.listen.unpublished.Load() {
		// An earlier write of this process is not in the feed: followers read everything.
		reload = ReferenceCollections
	}
	gen, err := s.publish(ctx, ws, reload)
	s.listen.unpublished.Store(err != nil)
	s.listen.mu.RLock()
	fs := s.listen.fs
	s.listen.mu.RUnlock()
	for _, f := range fs {
		f(ctx, gen, ws, reload)
	}
	return err
}

// publish raises the generation and records its feed entry.
func (s *Store) publish(ctx context.Context, ws []Written, reload []string) (int64, error) {
	rec := feedRecord{At: time.Now().UTC(), Docs: []feedDoc{}, Reload: reload}
	if rec.Reload == nil {
		rec.Reload = []string{}
	}
	if len(ws) > feedDocs {
		for _, w := range ws {
			if !slices.Contains(rec.Reload, w.Collection) {
				rec.Reload = append(rec.Reload, w.Collection)
			}
		}
	} else {
		for _, w := range ws {
			d := feedDoc{Coll: w.Collection, Key: w.Key, Version: w.Version, At: w.At}
			if w.Doc != nil {
				raw, err := bson.Marshal(w.Doc)
				if err != nil {
					return 0, fmt.Errorf("feed: %w", err)
				}
				d.Doc = raw
			}
			rec.Docs = append(rec.Docs, d)
		}
	}
	var marker struct {
		Gen int64 `bson:"gen"`
	}
	err := s.db.Collection(generationColl).FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: "gen"}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "gen", Value: int64(1)}}}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&marker)
	if err != nil {
		return 0, fmt.Errorf("raise generation: %w", err)
	}
	rec.Gen = marker.Gen
	if _, err := s.db.Collection(feedColl).InsertOne(ctx, rec); err != nil {
		return rec.Gen, fmt.Errorf("feed entry %d: %w", rec.Gen, err)
	}
	if rec.Gen%(feedKeep/4) == 0 {
		_, err := s.db.Collection(feedColl).DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$lte", Value: rec.Gen - feedKeep}}}})
		if err != nil {
			return rec.Gen, fmt.Errorf("prune feed: %w", err)
		}
	}
	return rec.Gen, nil
}

// Generation returns the database's current generation: 0 before the first published write.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var marker struct {
		Gen int64 `bson:"gen"`
	}
	err := s.db.Collection(generationColl).FindOne(ctx, bson.D{{Key: "_id", Value: "gen"}}).Decode(&marker)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read generation: %w", err)
	}
	return marker.Gen, nil
}

// Feed returns the feed entries of generations after gen, in order. complete is false when
// the feed no longer holds gen+1 (pruned): the caller must read everything again.
func (s *Store) Feed(ctx context.Context, after int64) (entries []FeedEntry, complete bool, err error) {
	recs, err := findAll[feedRecord](ctx, s.db.Collection(feedColl),
		bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: after}}}}, bson.D{{Key: "_id", Value: 1}})
	if err != nil {
		return nil, false, err
	}
	if after > 0 && (len(recs) == 0 || recs[0].Gen != after+1) {
		// The entry after gen may be pruned, or not written yet (a writer between its $inc
		// and its insert); the caller tells the two apart by waiting.
		complete = false
	} else {
		complete = true
	}
	for _, r := range recs {
		e := FeedEntry{Gen: r.Gen, Reload: r.Reload}
		for _, d := range r.Docs {
			w := Written{Collection: d.Coll, Key: d.Key, Version: d.Version, At: d.At}
			if d.Doc != nil {
				if w.Doc, err = decodeDoc(d.Coll, d.Doc); err != nil {
					return nil, false, fmt.Errorf("feed entry %d: %w", r.Gen, err)
				}
			}
			e.Docs = append(e.Docs, w)
		}
		entries = append(entries, e)
	}
	return entries, complete, nil
}

// Watch returns a change stream of the feed's inserts where the server offers change streams
// (a MongoDB replica set), so that a follower learns of a change at once rather than at its
// next poll; elsewhere (FerretDB, a standalone server) an error.
func (s *Store) Watch(ctx context.Context) (*mongo.ChangeStream, error) {
	pipeline := mongo.Pipeline{{{Key: "$match", Value: bson.D{{Key: "operationType", Value: "insert"}}}}}
	cs, err := s.db.Collection(feedColl).Watch(ctx, pipeline)
	if err != nil {
		return nil, fmt.Errorf("watch the feed: %w", err)
	}
	return cs, nil
}

// decodeDoc decodes a stored document of collection coll into its Go type.
func decodeDoc(coll string, raw bson.Raw) (any, error) {
	var v any
	switch coll {
	case countriesColl:
		v = &Country{}
	case agenciesColl:
		v = &Agency{}
	case groupingsColl:
		v = &Grouping{}
	case membershipsColl:
		v = &Membership{}
	case meetingsColl:
		v = &Meeting{}
	case decisionsColl:
		v = &Decision{}
	default:
		return nil, fmt.Errorf("unknown collection %q", coll)
	}
	if err := bson.Unmarshal(raw, v); err != nil {
		return nil, fmt.Errorf("decode %s document: %w", coll, err)
	}
	return v, nil
}

// Reference collection names, for Written.Collection and FeedEntry.Reload.
const (
	CountriesCollection   = countriesColl
	AgenciesCollection    = agenciesColl
	GroupingsCollection   = groupingsColl
	MembershipsCollection = membershipsColl
	MeetingsCollection    = meetingsColl
	DecisionsCollection   = decisionsColl
)

// ReferenceCollections are the collections of the reference graph, in the order a full read
// takes them.
var ReferenceCollections = []string{countriesColl, groupingsColl, meetingsColl, agenciesColl, membershipsColl, decisionsColl}
