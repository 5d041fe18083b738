package store

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/fealac/smegraph/internal/apperr"
)

// StringFilter is a condition on a string field: eq, ne, in and nin compare exactly (after
// the field's own normalisation, e.g. upper case for country codes); contains and startsWith
// compare case- and accent-insensitively against the field's folded search keys. Conditions
// given together must all hold.
type StringFilter struct {
	Eq         *string
	Ne         *string
	In         []string
	Nin        []string
	Contains   *string
	StartsWith *string
}

// Filter bounds, checked before any database work.
const (
	// MaxFilterValues bounds the values of one in/nin list and the conditions of a filter.
	MaxFilterValues = 100
	// MaxFilterText bounds one string of a filter, in characters.
	MaxFilterText = 200
	// MaxFilterDepth bounds the nesting of and/or.
	MaxFilterDepth = 8
	// MaxGroupingConditions bounds the grouping conditions of a countries filter: each reads
	// the memberships once.
	MaxGroupingConditions = 5
)

// stringField says how a StringFilter on one GraphQL field is translated: exact compares
// against any of the exact fields (after normalising the value), contains/startsWith
// against the folded keys field.
type stringField struct {
	arg       string   // argument path for errors, e.g. "filter.name"
	exact     []string // stored fields compared exactly; a match on any of them counts
	keys      string   // stored field of folded search keys
	normalise func(string) string
}

// Fold returns s in the form search keys are stored in: lower case, accents and other
// combining marks removed, compatibility forms unified (NFKD), spaces collapsed. "São
// Tomé" folds to "sao tome", "MÉXICO" to "mexico".
func Fold(s string) string {
	return strings.TrimSpace(foldQuery(s))
}

// foldQuery folds text a client searches for like Fold, but keeps a leading or trailing
// space: " p" looks for a word starting with p, and a lone space for names with a space.
// Runs of white space count as one space, as in the stored keys.
func foldQuery(s string) string {
	// Marks go (é → e), and so do invisible format characters (zero-width space, BOM).
	t := transform.Chain(norm.NFKD, runes.Remove(runes.Predicate(func(r rune) bool { return unicode.In(r, unicode.Mn, unicode.Cf) })), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return whitespace.ReplaceAllString(strings.ToLower(out), " ")
}

// whitespace matches a run of white space.
var whitespace = regexp.MustCompile(`\s+`)

// translate returns the MongoDB condition for f on field, or nil when f sets nothing.
func (sf stringField) translate(f *StringFilter, budget *int) (bson.A, error) {
	if f == nil {
		return nil, nil
	}
	norm := sf.normalise
	if norm == nil {
		norm = func(s string) string { return s }
	}
	anyOf := func(op string, v any) bson.D {
		if len(sf.exact) == 1 {
			return bson.D{{Key: sf.exact[0], Value: bson.D{{Key: op, Value: v}}}}
		}
		or := bson.A{}
		for _, field := range sf.exact {
			or = append(or, bson.D{{Key: field, Value: bson.D{{Key: op, Value: v}}}})
		}
		return bson.D{{Key: "$or", Value: or}}
	}
	noneOf := func(op string, v any) bson.D { return bson.D{{Key: "$nor", Value: bson.A{anyOf(op, v)}}} }
	list := func(name string, vs []string) ([]string, error) {
		if len(vs) > MaxFilterValues {
			return nil, apperr.Input(sf.arg+"."+name, "at most %d values, got %d", MaxFilterValues, len(vs))
		}
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = norm(v)
		}
		return out, nil
	}
	for name, v := range map[string]*string{"eq": f.Eq, "ne": f.Ne, "contains": f.Contains, "startsWith": f.StartsWith} {
		if v != nil && utf8.RuneCountInString(*v) > MaxFilterText {
			return nil, apperr.Input(sf.arg+"."+name, "at most %d characters", MaxFilterText)
		}
	}
	for _, vs := range [][]string{f.In, f.Nin} {
		for _, v := range vs {
			if utf8.RuneCountInString(v) > MaxFilterText {
				return nil, apperr.Input(sf.arg, "at most %d characters a value", MaxFilterText)
			}
		}
	}

	var conds bson.A
	if f.Eq != nil {
		conds = append(conds, anyOf("$eq", norm(*f.Eq)))
	}
	if f.Ne != nil {
		conds = append(conds, noneOf("$eq", norm(*f.Ne)))
	}
	if f.In != nil {
		vs, err := list("in", f.In)
		if err != nil {
			return nil, err
		}
		conds = append(conds, anyOf("$in", vs))
	}
	if f.Nin != nil {
		vs, err := list("nin", f.Nin)
		if err != nil {
			return nil, err
		}
		conds = append(conds, noneOf("$in", vs))
	}
	// The user's text is folded and escaped: it is matched as plain characters.
	if f.Contains != nil {
		conds = append(conds, bson.D{{Key: sf.keys, Value: bson.D{{Key: "$regex", Value: regexp.QuoteMeta(foldQuery(*f.Contains))}}}})
	}
	if f.StartsWith != nil {
		conds = append(conds, bson.D{{Key: sf.keys, Value: bson.D{{Key: "$regex", Value: "^" + regexp.QuoteMeta(foldQuery(*f.StartsWith))}}}})
	}
	if *budget -= len(conds); *budget < 0 {
		return nil, apperr.Input("filter", "too many conditions; at most %d", MaxFilterValues)
	}
	return conds, nil
}

// fieldFilter is a StringFilter with the field it applies to.
type fieldFilter struct {
	f  *StringFilter
	by stringField
}

// translateAll translates each field filter and returns all their conditions.
func translateAll(budget *int, ffs ...fieldFilter) (bson.A, error) {
	var conds bson.A
	for _, ff := range ffs {
		c, err := ff.by.translate(ff.f, budget)
		if err != nil {
			return nil, err
		}
		conds = append(conds, c...)
	}
	return conds, nil
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

// codeValue normalises an ISO 3166-1 code as the lookups do: upper case, spaces trimmed,
// a short numeric code zero-padded.
func codeValue(s string) string {
	s = strings.ToUpper(strings.TrimSpace(norm.NFKC.String(s))) // fullwidth ＰＥ is PE
	if isDigits(s) && len(s) < 3 {
		s = strings.Repeat("0", 3-len(s)) + s
	}
	return s
}

// slugValue normalises a grouping slug: lower case, spaces trimmed.
func slugValue(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// SortDirection orders a connection's key ascending or descending.
type SortDirection string

// The sort directions.
const (
	Asc  SortDirection = "ASC"
	Desc SortDirection = "DESC"
)

// Order is one sort key of a connection, F being its enum of sort fields, with its direction.
type Order[F ~string] struct {
	Field     F
	Direction SortDirection
}

// buildOrder returns the total order for the requested keys (field names mapped by fields
// to stored fields), ending with _id in the direction of the last key; with no keys, def.
// prefix names the connection in cursors.
func buildOrder[F ~string](prefix string, keys []*Order[F], fields map[F]string, def order) (order, error) {
	if len(keys) == 0 {
		return def, nil
	}
	if len(keys) > 5 {
		return order{}, apperr.Input("orderBy", "at most 5 keys")
	}
	o := order{name: prefix}
	seen := map[F]bool{}
	desc := false
	for _, k := range keys {
		if k.Direction == "" {
			k = &Order[F]{Field: k.Field, Direction: Asc} // direction: null
		}
		field, ok := fields[k.Field]
		if !ok || seen[k.Field] {
			return order{}, apperr.Input("orderBy", "%s is not a sort key here, or is given twice", k.Field)
		}
		seen[k.Field] = true
		desc = k.Direction == Desc
		o.keys = append(o.keys, sortKey{field: field, desc: desc})
		o.name += ":" + string(k.Field) + "." + string(k.Direction)
	}
	// The ID makes the order total, unless a key is the ID already (a sort document with a
	// field twice made FerretDB hang until the request timed out).
	if o.keys[len(o.keys)-1].field != "_id" && !slices.ContainsFunc(o.keys, func(k sortKey) bool { return k.field == "_id" }) {
		o.keys = append(o.keys, sortKey{field: "_id", desc: desc})
	}
	return o, nil
}

// fieldValue returns a document's value of a stored sort field, for cursors.
type fieldValues[T any] map[string]func(*T) any

// keysOf returns the function that reads o's keys from a document.
func keysOf[T any](o order, fv fieldValues[T]) func(*T) []any {
	return func(d *T) []any {
		out := make([]any, len(o.keys))
		for i, k := range o.keys {
			out[i] = fv[k.field](d)
		}
		return out
	}
}

// combine translates the nested and/or filters of a filter: and of all the sub-filters (none
// given: no condition), or of them (an empty list: nothing matches).
func combine[F any](arg string, and, or []*F, translate func(*F, string) (bson.D, error)) (bson.A, error) {
	var conds bson.A
	for _, part := range []struct {
		op   string
		name string
		subs []*F
	}{{"$and", "and", and}, {"$or", "or", or}} {
		if part.subs == nil {
			continue
		}
		if len(part.subs) == 0 {
			if part.op == "$or" {
				conds = append(conds, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{}}}}})
			}
			continue
		}
		list := bson.A{}
		for i, sub := range part.subs {
			d, err := translate(sub, fmt.Sprintf("%s.%s[%d]", arg, part.name, i))
			if err != nil {
				return nil, err
			}
			list = append(list, d)
		}
		conds = append(conds, bson.D{{Key: part.op, Value: list}})
	}
	return conds, nil
}

// foldAll returns the folded texts of every list, without duplicates, in order.
func foldAll(lists ...[]LocalizedText) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, l := range lists {
		for _, t := range l {
			if k := Fold(t.Text); !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// firstText returns the first text (the English one, by the store's convention), or "".
func firstText(ts []LocalizedText) string {
	if len(ts) == 0 {
		return ""
	}
	return ts[0].Text
}

// activeOn returns the condition for a membership with status MEMBER in force on date.
func activeOn(date string) bson.D {
	return bson.D{
		{Key: "status", Value: string(StatusMember)},
		{Key: "$and", Value: bson.A{
			bson.D{{Key: "$or", Value: bson.A{bson.D{{Key: "since", Value: nil}}, bson.D{{Key: "since", Value: bson.D{{Key: "$lte", Value: date}}}}}}},
			bson.D{{Key: "$or", Value: bson.A{bson.D{{Key: "until", Value: nil}}, bson.D{{Key: "until", Value: bson.D{{Key: "$gt", Value: date}}}}}}},
		}},
	}
}

// memberOf returns the conditions selecting countries that are full members today of the
// groupings f selects (eq, in, contains, startsWith: of any of them; ne, nin: of none).
func (s *Store) memberOf(ctx context.Context, f *StringFilter, arg string, budget *int) (bson.A, error) {
	today := time.Now().UTC().Format(time.DateOnly)
	by := stringField{arg: arg, exact: []string{"grouping"}, keys: "grouping", normalise: slugValue}
	codes := func(sf *StringFilter) ([]string, error) {
		c, err := by.translate(sf, budget)
		if err != nil {
			return nil, err
		}
		ms, err := findAll[Membership](ctx, s.db.Collection(membershipsColl), allOf(append(bson.A{activeOn(today)}, c...)), nil)
		if err != nil {
			return nil, err
		}
		out := []string{}
		for _, m := range ms {
			out = append(out, m.Country)
		}
		return out, nil
	}
	var conds bson.A
	if f.Eq != nil || f.In != nil || f.Contains != nil || f.StartsWith != nil {
		in, err := codes(&StringFilter{Eq: f.Eq, In: f.In, Contains: f.Contains, StartsWith: f.StartsWith})
		if err != nil {
			return nil, err
		}
		conds = append(conds, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: in}}}})
	}
	if f.Ne != nil || f.Nin != nil {
		not := append([]string{}, f.Nin...)
		if f.Ne != nil {
			not = append(not, *f.Ne)
		}
		out, err := codes(&StringFilter{In: not})
		if err != nil {
			return nil, err
		}
		conds = append(conds, bson.D{{Key: "_id", Value: bson.D{{Key: "$nin", Value: out}}}})
	}
	return conds, nil
}

// conditions counts the operators f sets.
func (f *StringFilter) conditions() int {
	if f == nil {
		return 0
	}
	n := 0
	for _, set := range []bool{f.Eq != nil, f.Ne != nil, f.In != nil, f.Nin != nil, f.Contains != nil, f.StartsWith != nil} {
		if set {
			n++
		}
	}
	return n
}

// filterShape is what checkShape learns of a nested filter before any database work.
type filterShape struct {
	conditions int
	groupings  int
}

// checkShape counts the conditions of a nested filter (each set operator, boolean, kind list
// and and/or entry is one) and checks its depth and size against the filter bounds. own
// returns a node's own conditions and grouping conditions, and subs its and/or filters.
func checkShape[F any](f *F, depth int, shape *filterShape, own func(*F) (int, int), subs func(*F) []*F) error {
	if f == nil {
		return nil
	}
	if depth > MaxFilterDepth {
		return apperr.Input("filter", "and/or nested deeper than %d levels", MaxFilterDepth)
	}
	n, g := own(f)
	children := subs(f)
	shape.conditions += n + len(children)
	shape.groupings += g
	if shape.conditions > MaxFilterValues {
		return apperr.Input("filter", "too many conditions; at most %d", MaxFilterValues)
	}
	if shape.groupings > MaxGroupingConditions {
		return apperr.Input("filter", "too many grouping conditions; at most %d", MaxGroupingConditions)
	}
	for _, sub := range children {
		if err := checkShape(sub, depth+1, shape, own, subs); err != nil {
			return err
		}
	}
	return nil
}

// boolCount is 1 when b is set.
func boolCount(b *bool) int {
	if b == nil {
		return 0
	}
	return 1
}
