package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fealac/smegraph/internal/apperr"
)

// Page sizes of the root connections.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// PageArgs are the Relay pagination arguments of a connection, validated by NewPageArgs.
type PageArgs struct {
	limit    int
	backward bool   // last/before: the page ends at before (or the end of the set)
	after    []any  // decoded sort-key values of the after cursor, nil when absent
	before   []any  // decoded sort-key values of the before cursor, nil when absent
	rawAfter string // kept to check that the cursor belongs to the connection's order
	rawBef   string
}

// NewPageArgs validates first/after/last/before. first and last are 0..100 (default 20 when
// both are absent) and may not both be given; a cursor must decode. Errors are
// BAD_USER_INPUT naming the argument.
func NewPageArgs(first *int, after *string, last *int, before *string) (PageArgs, error) {
	var p PageArgs
	for _, a := range []struct {
		name string
		v    *int
	}{{"first", first}, {"last", last}} {
		if a.v != nil && (*a.v < 0 || *a.v > MaxPageSize) {
			return p, apperr.Input(a.name, "must be between 0 and %d, got %d", MaxPageSize, *a.v)
		}
	}
	switch {
	case first != nil && last != nil:
		return p, apperr.Input("last", "cannot be combined with first; pass one of them")
	case last != nil:
		p.limit, p.backward = *last, true
	case first != nil:
		p.limit = *first
	case before != nil && after == nil:
		p.limit, p.backward = DefaultPageSize, true
	default:
		p.limit = DefaultPageSize
	}
	if after != nil {
		p.rawAfter = *after
	}
	if before != nil {
		p.rawBef = *before
	}
	return p, nil
}

// Page is one page of a connection: the nodes, one cursor per node, and whether more nodes
// lie beyond either end.
type Page[T any] struct {
	Items       []*T
	Cursors     []string
	HasNext     bool
	HasPrevious bool
	count       func(context.Context) (int, error)
}

// TotalCount counts every document of the connection's set, ignoring the page arguments.
// It runs one count command, only when called.
func (p *Page[T]) TotalCount(ctx context.Context) (int, error) { return p.count(ctx) }

// sortKey is one key of a connection's order.
type sortKey struct {
	field string
	desc  bool
}

// order is a total order over a collection's documents: its keys end with _id. name is
// written into cursors so that a cursor from another order is refused.
type order struct {
	name string
	keys []sortKey
}

// cursorDoc is what a cursor encodes: the order's name and the sort-key values of a node.
// It is BSON, so values keep their types (string, int32, ...) through the round trip.
type cursorDoc struct {
	Order  string `bson:"o"`
	Values []any  `bson:"v"`
}

// tagLen is the length of the HMAC-SHA256 tag that ends every cursor.
const tagLen = 16

// cursorTag returns the tag of a cursor's BSON under key.
func cursorTag(key, b []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write(b)
	return mac.Sum(nil)[:tagLen]
}

// encodeCursor returns the opaque cursor of a node with the given sort-key values:
// base64url(BSON of cursorDoc, then its HMAC-SHA256 tag under key). The tag makes any edited,
// truncated or forged cursor BAD_USER_INPUT; the key is shared by every process on the
// database (see Prepare), so cursors survive restarts and work on any replica.
func encodeCursor(key []byte, o order, values []any) string {
	b, err := bson.Marshal(cursorDoc{Order: o.name, Values: values})
	if err != nil {
		// The values come from decoded documents, so they always marshal.
		panic(fmt.Sprintf("encode cursor: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(append(b, cursorTag(key, b)...))
}

// decodeCursor checks that raw is a cursor of order o and returns its values.
func decodeCursor(key []byte, arg, raw string, o order) ([]any, error) {
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(b) <= tagLen {
		return nil, apperr.Input(arg, "not a valid cursor")
	}
	b, tag := b[:len(b)-tagLen], b[len(b)-tagLen:]
	if !hmac.Equal(cursorTag(key, b), tag) {
		return nil, apperr.Input(arg, "not a valid cursor")
	}
	var c cursorDoc
	if err := bson.Unmarshal(b, &c); err != nil {
		return nil, apperr.Input(arg, "not a valid cursor")
	}
	if c.Order != o.name || len(c.Values) != len(o.keys) {
		return nil, apperr.Input(arg, "cursor belongs to another ordering or connection")
	}
	for _, v := range c.Values {
		switch v.(type) {
		case string, int32, int64, bson.DateTime:
		default:
			return nil, apperr.Input(arg, "not a valid cursor")
		}
	}
	return c.Values, nil
}

// beyond returns the filter for the documents strictly after (or, when reverse, strictly
// before) the sort-key values v in order o: a disjunction of range conditions on the keys,
// so an index on the keys serves it and no skip is ever needed.
func beyond(o order, v []any, reverse bool) bson.D {
	var or bson.A
	for i, k := range o.keys {
		cond := bson.D{}
		for j := 0; j < i; j++ {
			cond = append(cond, bson.E{Key: o.keys[j].field, Value: v[j]})
		}
		op := "$gt"
		if k.desc != reverse {
			op = "$lt"
		}
		cond = append(cond, bson.E{Key: k.field, Value: bson.D{{Key: op, Value: v[i]}}})
		or = append(or, cond)
	}
	return bson.D{{Key: "$or", Value: or}}
}

// sortDoc returns the driver's sort document for o, reversed when reverse.
func sortDoc(o order, reverse bool) bson.D {
	d := bson.D{}
	for _, k := range o.keys {
		dir := 1
		if k.desc != reverse {
			dir = -1
		}
		d = append(d, bson.E{Key: k.field, Value: dir})
	}
	return d
}

// paginate runs one keyset page query on the collection coll of s: the connection's filter, range conditions for
// after/before on o's keys, o's sort (reversed for last/before) and a limit one past the page
// size to learn whether more nodes follow. keyOf returns a document's values of o's keys.
func paginate[T any](ctx context.Context, s *Store, coll string, filter bson.D, o order, p PageArgs, keyOf func(*T) []any) (*Page[T], error) {
	c := s.db.Collection(coll)
	if filter == nil {
		filter = bson.D{}
	}
	var err error
	if p.rawAfter != "" {
		if p.after, err = decodeCursor(s.cursorKey, "after", p.rawAfter, o); err != nil {
			return nil, err
		}
	}
	if p.rawBef != "" {
		if p.before, err = decodeCursor(s.cursorKey, "before", p.rawBef, o); err != nil {
			return nil, err
		}
	}

	and := bson.A{}
	if len(filter) > 0 {
		and = append(and, filter)
	}
	if p.after != nil {
		and = append(and, beyond(o, p.after, false))
	}
	if p.before != nil {
		and = append(and, beyond(o, p.before, true))
	}
	query := bson.D{}
	if len(and) > 0 {
		query = bson.D{{Key: "$and", Value: and}}
	}

	page := &Page[T]{
		Items:   []*T{},
		Cursors: []string{},
		count: func(ctx context.Context) (int, error) {
			n, err := c.CountDocuments(ctx, filter)
			if err != nil {
				return 0, fmt.Errorf("count %s: %w", c.Name(), err)
			}
			return int(n), nil
		},
	}
	// The batch is one larger than the limit: FerretDB keeps a cursor open when a batch is
	// exactly full, which costs a getMore.
	opts := options.Find().SetSort(sortDoc(o, p.backward)).SetLimit(int64(p.limit) + 1).SetBatchSize(int32(p.limit) + 2)
	cur, err := c.Find(ctx, query, opts)
	if err != nil {
		return nil, fmt.Errorf("page %s: %w", c.Name(), err)
	}
	items := []*T{}
	if err := cur.All(ctx, &items); err != nil {
		return nil, fmt.Errorf("read page of %s: %w", c.Name(), err)
	}
	more := len(items) > p.limit
	if more {
		items = items[:p.limit]
	}
	if p.backward {
		slices.Reverse(items)
		page.HasPrevious, page.HasNext = more, p.before != nil
	} else {
		page.HasNext, page.HasPrevious = more, p.after != nil
	}
	page.Items = items
	for _, it := range items {
		page.Cursors = append(page.Cursors, encodeCursor(s.cursorKey, o, keyOf(it)))
	}
	return page, nil
}

// Limit is the page size asked for.
func (p PageArgs) Limit() int { return p.limit }

// Backward reports whether the page ends at Before (last/before) rather than starting after
// After.
func (p PageArgs) Backward() bool { return p.backward }

// After and Before return the raw cursors given, "" when absent.
func (p PageArgs) After() string  { return p.rawAfter }
func (p PageArgs) Before() string { return p.rawBef }

// NewPage returns a page of items with their cursors; count, called only when a client asks
// for totalCount, counts the whole set.
func NewPage[T any](items []*T, cursors []string, hasNext, hasPrevious bool, count func(context.Context) (int, error)) *Page[T] {
	return &Page[T]{Items: items, Cursors: cursors, HasNext: hasNext, HasPrevious: hasPrevious, count: count}
}

// Cursors signs and reads the opaque cursors of connections with the database's shared key
// (see Prepare), so that a cursor works on every process and after a restart.
type Cursors struct{ key []byte }

// Cursors returns the cursor codec of the database; call it after Prepare.
func (s *Store) Cursors() Cursors { return Cursors{key: s.cursorKey} }

// Encode returns the cursor of a node at the sort-key values v of the ordering named order.
func (c Cursors) Encode(order string, v []any) string {
	return encodeCursor(c.key, namedOrder(order, len(v)), v)
}

// Decode checks that raw, the cursor given as argument arg, belongs to the ordering named
// order with n sort keys, and returns its values (string, int32, int64 or bson.DateTime).
// Anything else is BAD_USER_INPUT naming arg.
func (c Cursors) Decode(arg, raw, order string, n int) ([]any, error) {
	return decodeCursor(c.key, arg, raw, namedOrder(order, n))
}

// namedOrder is an order with only a name and n keys, as cursors need.
func namedOrder(name string, n int) order { return order{name: name, keys: make([]sortKey, n)} }
