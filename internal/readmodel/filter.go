package readmodel

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/fealac/smegraph/internal/apperr"
	"github.com/fealac/smegraph/internal/gid"
	"github.com/fealac/smegraph/internal/store"
)

// This file is the one home of the filter semantics of every connection: what each
// StringFilter operator means on each field, and the bounds of a filter.
//
// eq, ne, in and nin compare the value (after the field's own normalisation: upper case for
// ISO codes, lower case for slugs) with each of the field's exact values: a node matches eq
// and in when any of its values does, and ne and nin when none does. contains and
// startsWith compare the folded text (case, accents and compatibility forms removed, see
// store.Fold) with the node's folded keys, computed when the node was written. Conditions
// given together must all hold.

// predicate reports whether a node matches a filter.
type predicate[T any] func(*T) bool

// textField says how a StringFilter applies to one GraphQL field of T.
type textField[T any] struct {
	arg       string              // argument path for errors, e.g. "filter.name"
	exact     func(*T) []string   // the values eq, ne, in and nin compare with
	keys      func(*T) []string   // the folded keys contains and startsWith search
	normalise func(string) string // applied to eq, ne, in and nin values; nil: as given
}

// budget counts the conditions a filter may still set.
type budget struct{ left int }

// spend takes n conditions from the budget.
func (b *budget) spend(n int) error {
	if b.left -= n; b.left < 0 {
		return apperr.Input("filter", "too many conditions; at most %d", store.MaxFilterValues)
	}
	return nil
}

// compile returns the predicate of f on field tf, or nil when f sets nothing.
func (tf textField[T]) compile(f *store.StringFilter, b *budget) (predicate[T], error) {
	if f == nil {
		return nil, nil
	}
	norm := tf.normalise
	if norm == nil {
		norm = func(s string) string { return s }
	}
	for name, v := range map[string]*string{"eq": f.Eq, "ne": f.Ne, "contains": f.Contains, "startsWith": f.StartsWith} {
		if v != nil && utf8.RuneCountInString(*v) > store.MaxFilterText {
			return nil, apperr.Input(tf.arg+"."+name, "at most %d characters", store.MaxFilterText)
		}
	}
	set := func(name string, vs []string) (map[string]bool, error) {
		if len(vs) > store.MaxFilterValues {
			return nil, apperr.Input(tf.arg+"."+name, "at most %d values, got %d", store.MaxFilterValues, len(vs))
		}
		out := make(map[string]bool, len(vs))
		for _, v := range vs {
			if utf8.RuneCountInString(v) > store.MaxFilterText {
				return nil, apperr.Input(tf.arg, "at most %d characters a value", store.MaxFilterText)
			}
			out[norm(v)] = true
		}
		return out, nil
	}
	anyIn := func(d *T, want map[string]bool) bool {
		return slices.ContainsFunc(tf.exact(d), func(v string) bool { return want[v] })
	}
	var conds []predicate[T]
	if f.Eq != nil {
		v := norm(*f.Eq)
		conds = append(conds, func(d *T) bool { return slices.Contains(tf.exact(d), v) })
	}
	if f.Ne != nil {
		v := norm(*f.Ne)
		conds = append(conds, func(d *T) bool { return !slices.Contains(tf.exact(d), v) })
	}
	if f.In != nil {
		want, err := set("in", f.In)
		if err != nil {
			return nil, err
		}
		conds = append(conds, func(d *T) bool { return anyIn(d, want) })
	}
	if f.Nin != nil {
		not, err := set("nin", f.Nin)
		if err != nil {
			return nil, err
		}
		conds = append(conds, func(d *T) bool { return !anyIn(d, not) })
	}
	if f.Contains != nil {
		q := store.FoldQuery(*f.Contains)
		conds = append(conds, func(d *T) bool {
			return slices.ContainsFunc(tf.keys(d), func(k string) bool { return strings.Contains(k, q) })
		})
	}
	if f.StartsWith != nil {
		q := store.FoldQuery(*f.StartsWith)
		conds = append(conds, func(d *T) bool {
			return slices.ContainsFunc(tf.keys(d), func(k string) bool { return strings.HasPrefix(k, q) })
		})
	}
	if err := b.spend(len(conds)); err != nil {
		return nil, err
	}
	return allOf(conds), nil
}

// on is a StringFilter with the field it applies to.
type on[T any] struct {
	f  *store.StringFilter
	tf textField[T]
}

// compileAll compiles each field filter and returns their predicates.
func compileAll[T any](b *budget, fs ...on[T]) ([]predicate[T], error) {
	ps := make([]predicate[T], 0, len(fs))
	for _, f := range fs {
		p, err := f.tf.compile(f.f, b)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// allOf returns the predicate that holds when every non-nil one of ps holds; nil when there
// are none.
func allOf[T any](ps []predicate[T]) predicate[T] {
	ps = slices.DeleteFunc(ps, func(p predicate[T]) bool { return p == nil })
	switch len(ps) {
	case 0:
		return nil
	case 1:
		return ps[0]
	}
	return func(d *T) bool {
		for _, p := range ps {
			if !p(d) {
				return false
			}
		}
		return true
	}
}

// anyOf returns the predicate that holds when one of ps holds (an empty list: never). A nil
// entry (a filter that sets nothing) always holds.
func anyOf[T any](ps []predicate[T]) predicate[T] {
	return func(d *T) bool {
		for _, p := range ps {
			if p == nil || p(d) {
				return true
			}
		}
		return false
	}
}

// nested compiles the and/or lists of a filter: and of all the sub-filters (none given: no
// condition), or of them (an empty list: nothing matches).
func nested[F, T any](arg string, and, or []*F, compile func(*F, string) (predicate[T], error)) ([]predicate[T], error) {
	var out []predicate[T]
	for _, part := range []struct {
		name string
		subs []*F
	}{{"and", and}, {"or", or}} {
		if part.subs == nil {
			continue
		}
		ps := make([]predicate[T], len(part.subs))
		for i, sub := range part.subs {
			p, err := compile(sub, fmt.Sprintf("%s.%s[%d]", arg, part.name, i))
			if err != nil {
				return nil, err
			}
			ps[i] = p
		}
		if part.name == "and" {
			out = append(out, allOf(ps))
		} else {
			out = append(out, anyOf(ps))
		}
	}
	return out, nil
}

// kindIn returns the predicate "kind is one of kinds", or nil when kinds is nil.
func kindIn[T any, K comparable](kinds []K, kind func(*T) K) predicate[T] {
	if kinds == nil {
		return nil
	}
	return func(d *T) bool { return slices.Contains(kinds, kind(d)) }
}

// flag returns the predicate "is(d) == *want", or nil when want is nil.
func flag[T any](want *bool, is func(*T) bool) predicate[T] {
	if want == nil {
		return nil
	}
	w := *want
	return func(d *T) bool { return is(d) == w }
}

// filterShape is what checkShape learns of a nested filter before it is compiled.
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
	if depth > store.MaxFilterDepth {
		return apperr.Input("filter", "and/or nested deeper than %d levels", store.MaxFilterDepth)
	}
	n, g := own(f)
	children := subs(f)
	shape.conditions += n + len(children)
	shape.groupings += g
	if shape.conditions > store.MaxFilterValues {
		return apperr.Input("filter", "too many conditions; at most %d", store.MaxFilterValues)
	}
	if shape.groupings > store.MaxGroupingConditions {
		return apperr.Input("filter", "too many grouping conditions; at most %d", store.MaxGroupingConditions)
	}
	for _, sub := range children {
		if err := checkShape(sub, depth+1, shape, own, subs); err != nil {
			return err
		}
	}
	return nil
}

// conditions counts the operators f sets.
func conditions(f *store.StringFilter) int {
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

// boolCount is 1 when b is set.
func boolCount(b *bool) int {
	if b == nil {
		return 0
	}
	return 1
}

// texts returns the texts of localized texts.
func texts(ts []store.LocalizedText) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Text
	}
	return out
}

// optional returns *s as a one-element list, or nil.
func optional(s *string) []string {
	if s == nil {
		return nil
	}
	return []string{*s}
}

// countryFilter compiles a countries filter. The grouping condition selects countries by
// their full memberships today (see Snapshot.memberOf).
func (s *Snapshot) countryFilter(f *store.CountryFilter, arg string, b *budget) (predicate[store.Country], error) {
	if f == nil {
		return nil, nil
	}
	ps, err := compileAll(b,
		on[store.Country]{f.Code, textField[store.Country]{arg: arg + ".code", normalise: store.CodeValue,
			exact: func(c *store.Country) []string { return []string{c.Code, c.Alpha3, c.Numeric} },
			keys:  func(c *store.Country) []string { return c.Derived.CodeKeys }}},
		on[store.Country]{f.Name, textField[store.Country]{arg: arg + ".name",
			exact: func(c *store.Country) []string {
				return append(append(texts(c.Names), texts(c.NameVariants)...), c.NameISO)
			},
			keys: func(c *store.Country) []string { return c.Derived.NameKeys }}},
		on[store.Country]{f.Region, textField[store.Country]{arg: arg + ".region", normalise: store.SlugValue,
			exact: func(c *store.Country) []string { return []string{c.Region} },
			keys:  func(c *store.Country) []string { return []string{c.Region} }}},
	)
	if err != nil {
		return nil, err
	}
	if f.Grouping != nil {
		p, err := s.memberOf(f.Grouping, arg+".grouping", b)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	ps = append(ps, flag(f.HasAgencyURL, func(c *store.Country) bool { return c.Derived.HasAgencyURL }))
	sub, err := nested(arg, f.And, f.Or, func(sub *store.CountryFilter, arg string) (predicate[store.Country], error) {
		return s.countryFilter(sub, arg, b)
	})
	if err != nil {
		return nil, err
	}
	return allOf(append(ps, sub...)), nil
}

// memberOf returns the predicate selecting countries that are full members today of the
// groupings f selects (eq, in, contains, startsWith: of any of them; ne, nin: of none).
func (s *Snapshot) memberOf(f *store.StringFilter, arg string, b *budget) (predicate[store.Country], error) {
	by := textField[store.Membership]{arg: arg, normalise: store.SlugValue,
		exact: func(m *store.Membership) []string { return []string{m.Grouping} },
		keys:  func(m *store.Membership) []string { return []string{m.Grouping} }}
	day := s.day(today())
	codes := func(sf *store.StringFilter) (map[string]bool, error) {
		p, err := by.compile(sf, b)
		if err != nil {
			return nil, err
		}
		out := map[string]bool{}
		for _, m := range day.members {
			if p == nil || p(m) {
				out[m.Country] = true
			}
		}
		return out, nil
	}
	var ps []predicate[store.Country]
	if f.Eq != nil || f.In != nil || f.Contains != nil || f.StartsWith != nil {
		in, err := codes(&store.StringFilter{Eq: f.Eq, In: f.In, Contains: f.Contains, StartsWith: f.StartsWith})
		if err != nil {
			return nil, err
		}
		ps = append(ps, func(c *store.Country) bool { return in[c.Code] })
	}
	if f.Ne != nil || f.Nin != nil {
		not := append([]string{}, f.Nin...)
		if f.Ne != nil {
			not = append(not, *f.Ne)
		}
		out, err := codes(&store.StringFilter{In: not})
		if err != nil {
			return nil, err
		}
		ps = append(ps, func(c *store.Country) bool { return !out[c.Code] })
	}
	return allOf(ps), nil
}

// agencyFilter compiles an agencies filter.
func agencyFilter(f *store.AgencyFilter, arg string, b *budget) (predicate[store.Agency], error) {
	if f == nil {
		return nil, nil
	}
	ps, err := compileAll(b,
		on[store.Agency]{f.Country, textField[store.Agency]{arg: arg + ".country", normalise: store.CodeValue,
			exact: func(a *store.Agency) []string { return a.Derived.CountryCodes },
			keys:  func(a *store.Agency) []string { return a.Derived.CountryKeys }}},
		on[store.Agency]{f.Region, textField[store.Agency]{arg: arg + ".region", normalise: store.SlugValue,
			exact: func(a *store.Agency) []string { return []string{a.Derived.Region} },
			keys:  func(a *store.Agency) []string { return []string{a.Derived.Region} }}},
		on[store.Agency]{f.Name, textField[store.Agency]{arg: arg + ".name",
			exact: func(a *store.Agency) []string { return append(texts(a.Names), optional(a.Acronym)...) },
			keys:  func(a *store.Agency) []string { return a.Derived.NameKeys }}},
	)
	if err != nil {
		return nil, err
	}
	kind := kindIn(f.Kind, func(a *store.Agency) store.AgencyKind { return a.Kind })
	hasURL := flag(f.HasURL, func(a *store.Agency) bool { return a.URL != nil })
	sub, err := nested(arg, f.And, f.Or, func(sub *store.AgencyFilter, arg string) (predicate[store.Agency], error) {
		return agencyFilter(sub, arg, b)
	})
	if err != nil {
		return nil, err
	}
	return allOf(append(append(ps, kind, hasURL), sub...)), nil
}

// groupingFilter compiles a groupings filter.
func groupingFilter(f *store.GroupingFilter) (predicate[store.Grouping], error) {
	if f == nil {
		return nil, nil
	}
	b := &budget{left: store.MaxFilterValues}
	slug, err := textField[store.Grouping]{arg: "filter.slug", normalise: store.SlugValue,
		exact: func(g *store.Grouping) []string { return []string{g.Slug} },
		keys:  func(g *store.Grouping) []string { return []string{g.Slug} }}.compile(f.Slug, b)
	if err != nil {
		return nil, err
	}
	name, err := textField[store.Grouping]{arg: "filter.name",
		exact: func(g *store.Grouping) []string { return append(texts(g.Names), optional(g.Acronym)...) },
		keys:  func(g *store.Grouping) []string { return g.NameKeys }}.compile(f.Name, b)
	if err != nil {
		return nil, err
	}
	kind := kindIn(f.Kind, func(g *store.Grouping) store.GroupingKind { return g.Kind })
	return allOf([]predicate[store.Grouping]{slug, name, kind}), nil
}

// meetingFilter compiles a meetings filter.
func meetingFilter(f *store.MeetingFilter) (predicate[store.Meeting], error) {
	if f == nil {
		return nil, nil
	}
	b := &budget{left: store.MaxFilterValues}
	host, err := textField[store.Meeting]{arg: "filter.host", normalise: store.CodeValue,
		exact: func(m *store.Meeting) []string { return m.Derived.HostCodes },
		keys:  func(m *store.Meeting) []string { return m.Derived.HostKeys }}.compile(f.Host, b)
	if err != nil {
		return nil, err
	}
	ps := []predicate[store.Meeting]{host}
	if f.YearFrom != nil {
		from := *f.YearFrom
		ps = append(ps, func(m *store.Meeting) bool { return m.Year >= from })
	}
	if f.YearTo != nil {
		to := *f.YearTo
		ps = append(ps, func(m *store.Meeting) bool { return m.Year <= to })
	}
	return allOf(ps), nil
}

// decisionFilter compiles a decisions filter. A malformed meeting ID is BAD_USER_INPUT.
func decisionFilter(f *store.DecisionFilter) (predicate[store.Decision], error) {
	if f == nil {
		return nil, nil
	}
	var ps []predicate[store.Decision]
	if f.Meeting != nil {
		t, key, err := gid.Decode(*f.Meeting)
		if err != nil || t != gid.Meeting {
			return nil, apperr.Input("filter.meeting", "%s is not the ID of a Meeting", apperr.Quote(*f.Meeting))
		}
		ps = append(ps, func(d *store.Decision) bool { return d.Meeting == key })
	}
	b := &budget{left: store.MaxFilterValues}
	ps = append(ps, kindIn(f.Kind, func(d *store.Decision) store.DecisionKind { return d.Kind }))
	strs, err := compileAll(b,
		on[store.Decision]{f.Topic, textField[store.Decision]{arg: "filter.topic", normalise: store.SlugValue,
			exact: func(d *store.Decision) []string { return d.Topics },
			keys:  func(d *store.Decision) []string { return d.Topics }}},
		on[store.Decision]{f.Title, textField[store.Decision]{arg: "filter.title",
			exact: func(d *store.Decision) []string { return texts(d.Titles) },
			keys:  func(d *store.Decision) []string { return d.Derived.TitleKeys }}},
		on[store.Decision]{f.Country, textField[store.Decision]{arg: "filter.country", normalise: store.CodeValue,
			exact: func(d *store.Decision) []string { return d.Derived.CountryCodes },
			keys:  func(d *store.Decision) []string { return d.Derived.CountryKeys }}},
	)
	if err != nil {
		return nil, err
	}
	return allOf(append(ps, strs...)), nil
}
