package readmodel

import (
	"cmp"
	"context"
	"slices"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fealac/smegraph/internal/apperr"
	"github.com/fealac/smegraph/internal/store"
)

// field is a sort key of a connection: its name in cursors (the stored field's, so cursors
// made before the read model still decode), its value for cursors, and its comparison.
type field[T any] struct {
	name  string
	value func(*T) any
	cmp   func(a, b *T) int
}

// stringField returns a field of a string value.
func stringField[T any](name string, v func(*T) string) field[T] {
	return field[T]{name: name, value: func(d *T) any { return v(d) }, cmp: func(a, b *T) int { return cmp.Compare(v(a), v(b)) }}
}

// intField returns a field of an int value.
func intField[T any](name string, v func(*T) int) field[T] {
	return field[T]{name: name, value: func(d *T) any { return v(d) }, cmp: func(a, b *T) int { return cmp.Compare(v(a), v(b)) }}
}

// timeField returns a field of a time value (millisecond precision, as stored).
func timeField[T any](name string, v func(*T) time.Time) field[T] {
	return field[T]{name: name, value: func(d *T) any { return v(d) }, cmp: func(a, b *T) int { return v(a).Compare(v(b)) }}
}

// orderKey is one key of an ordering with its direction.
type orderKey[T any] struct {
	field[T]
	desc bool
}

// ordering is a total order of a connection's nodes: its keys end with the node's key. name
// is written into cursors, so that a cursor of another ordering is refused.
type ordering[T any] struct {
	name string
	keys []orderKey[T]
	// isKeyOrder is set when the ordering is the key order of the table (no sort needed).
	isKeyOrder bool
}

// compare orders a and b.
func (o *ordering[T]) compare(a, b *T) int {
	for _, k := range o.keys {
		c := k.cmp(a, b)
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// compareTo orders d against a cursor's values v.
func (o *ordering[T]) compareTo(d *T, v []any) int {
	for i, k := range o.keys {
		c := compareValues(k.value(d), v[i])
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// values returns d's values of o's keys, for its cursor.
func (o *ordering[T]) values(d *T) []any {
	out := make([]any, len(o.keys))
	for i, k := range o.keys {
		out[i] = k.value(d)
	}
	return out
}

// compareValues orders two sort-key values: a document's (string, int, time.Time) against a
// cursor's (string, int32, int64, bson.DateTime). Values of different kinds order by kind.
func compareValues(a, b any) int {
	ka, sa, na := valueOf(a)
	kb, sb, nb := valueOf(b)
	return cmp.Or(cmp.Compare(ka, kb), cmp.Compare(sa, sb), cmp.Compare(na, nb))
}

// valueOf returns a sort-key value's kind (0 string, 1 number, 2 time) and its string or
// number.
func valueOf(v any) (int, string, int64) {
	switch x := v.(type) {
	case string:
		return 0, x, 0
	case int:
		return 1, "", int64(x)
	case int32:
		return 1, "", int64(x)
	case int64:
		return 1, "", x
	case time.Time:
		return 2, "", x.UnixMilli()
	case bson.DateTime:
		return 2, "", int64(x)
	}
	return 3, "", 0
}

// orderings are the sort keys a connection offers, with its default ordering.
type orderings[T any, F ~string] struct {
	prefix string
	fields map[F]field[T]
	id     field[T]
	def    *ordering[T]
}

// build returns the ordering asked for by keys (the default when none), ending with the
// node's key in the direction of the last key. At most 5 keys, each once; errors are
// BAD_USER_INPUT naming orderBy.
func (os orderings[T, F]) build(keys []*store.Order[F]) (*ordering[T], error) {
	if len(keys) == 0 {
		return os.def, nil
	}
	if len(keys) > 5 {
		return nil, apperr.Input("orderBy", "at most 5 keys")
	}
	o := &ordering[T]{name: os.prefix}
	seen := map[F]bool{}
	desc, hasID := false, false
	for _, k := range keys {
		dir := k.Direction
		if dir == "" {
			dir = store.Asc // direction: null
		}
		f, ok := os.fields[k.Field]
		if !ok || seen[k.Field] {
			return nil, apperr.Input("orderBy", "%s is not a sort key here, or is given twice", k.Field)
		}
		seen[k.Field] = true
		desc = dir == store.Desc
		hasID = hasID || f.name == os.id.name
		o.keys = append(o.keys, orderKey[T]{field: f, desc: desc})
		o.name += ":" + string(k.Field) + "." + string(dir)
	}
	if !hasID {
		o.keys = append(o.keys, orderKey[T]{field: os.id, desc: desc})
	}
	return o, nil
}

// keyOrder returns the ordering of a table's key order, named name.
func keyOrder[T any](name string, id field[T]) *ordering[T] {
	return &ordering[T]{name: name, keys: []orderKey[T]{{field: id}}, isKeyOrder: true}
}

// page returns one keyset page of the documents of t that match selects (all when nil), in
// ordering o. The ordering's sorted documents are found once per snapshot; a page is then
// a binary search for the cursor and a walk of the page's length (plus whatever the filter
// skips), whatever the page's position.
func page[T any](t *table[T], o *ordering[T], match func(*T) bool, p store.PageArgs, cur store.Cursors) (*store.Page[T], error) {
	var after, before []any
	var err error
	if raw := p.After(); raw != "" {
		if after, err = cur.Decode("after", raw, o.name, len(o.keys)); err != nil {
			return nil, err
		}
	}
	if raw := p.Before(); raw != "" {
		if before, err = cur.Decode("before", raw, o.name, len(o.keys)); err != nil {
			return nil, err
		}
	}
	all := t.ordered(o)
	lo, hi := 0, len(all)
	if after != nil {
		lo = sort.Search(len(all), func(i int) bool { return o.compareTo(all[i], after) > 0 })
	}
	if before != nil {
		hi = sort.Search(len(all), func(i int) bool { return o.compareTo(all[i], before) >= 0 })
	}
	limit := p.Limit()
	items := make([]*T, 0, min(limit, max(hi-lo, 0)))
	more := false
	if p.Backward() {
		for i := hi - 1; i >= lo; i-- {
			if match == nil || match(all[i]) {
				if len(items) == limit {
					more = true
					break
				}
				items = append(items, all[i])
			}
		}
		slices.Reverse(items)
	} else {
		for i := lo; i < hi; i++ {
			if match == nil || match(all[i]) {
				if len(items) == limit {
					more = true
					break
				}
				items = append(items, all[i])
			}
		}
	}
	cursors := make([]string, len(items))
	for i, d := range items {
		cursors[i] = cur.Encode(o.name, o.values(d))
	}
	count := func(context.Context) (int, error) {
		if match == nil {
			return len(t.all), nil
		}
		n := 0
		for _, d := range t.all {
			if match(d) {
				n++
			}
		}
		return n, nil
	}
	if p.Backward() {
		return store.NewPage(items, cursors, before != nil, more, count), nil
	}
	return store.NewPage(items, cursors, more, after != nil, count), nil
}
