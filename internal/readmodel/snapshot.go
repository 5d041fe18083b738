// Package readmodel is smegraph's in-memory read model: an immutable, indexed snapshot of
// the reference graph (countries, agencies, groupings, memberships, meetings, decisions)
// that answers every read of them, and the Model that keeps it in step with the database.
//
// A snapshot is never modified. A change builds a new snapshot that shares every collection
// it does not touch (and, within a touched collection, every document it does not touch), and
// the Model swaps it in atomically; a request reads the one snapshot it started with.
package readmodel

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fealac/smegraph/internal/store"
)

// Snapshot is the reference graph at one generation of the database's change feed.
type Snapshot struct {
	// Gen is the feed generation the snapshot includes every change up to.
	Gen int64
	// Built is when the snapshot was built.
	Built time.Time

	countries   *countries
	agencies    *agencies
	groupings   *groupings
	memberships *memberships
	meetings    *meetings
	decisions   *decisions

	cursors store.Cursors
	// days caches the memberships in force on a date, by date (see day).
	days sync.Map
}

// countries is the countries table with its lookups by alpha-3 and numeric code.
type countries struct {
	*table[store.Country]
	byAlpha3, byNumeric map[string]*store.Country
}

// agencies is the agencies table with each country's agencies, by key.
type agencies struct {
	*table[store.Agency]
	byCountry map[string][]*store.Agency
}

// groupings is the groupings table with each grouping's children, by position.
type groupings struct {
	*table[store.Grouping]
	byParent map[string][]*store.Grouping
	// regions are the FEALAC regions, by position.
	regions []*store.Grouping
}

// memberships is the memberships table with each country's (by grouping) and each
// grouping's (by country) memberships.
type memberships struct {
	*table[store.Membership]
	byCountry, byGrouping map[string][]*store.Membership
}

// meetings is the meetings table with each host's meetings, by number.
type meetings struct {
	*table[store.Meeting]
	byHost map[string][]*store.Meeting
}

// decisions is the decisions table with each meeting's and each grouping's decisions, in
// record order (seq).
type decisions struct {
	*table[store.Decision]
	byMeeting, byGrouping map[string][]*store.Decision
}

func countryKey(c *store.Country) string       { return c.Code }
func agencyKey(a *store.Agency) string         { return a.Key }
func groupingKey(g *store.Grouping) string     { return g.Slug }
func membershipKey(m *store.Membership) string { return m.Key }
func meetingKey(m *store.Meeting) string       { return m.Key }
func decisionKey(d *store.Decision) string     { return d.Key }

func newCountries(t *table[store.Country]) *countries {
	c := &countries{table: t, byAlpha3: map[string]*store.Country{}, byNumeric: map[string]*store.Country{}}
	for _, d := range t.all {
		c.byAlpha3[d.Alpha3] = d
		c.byNumeric[d.Numeric] = d
	}
	return c
}

func newAgencies(t *table[store.Agency]) *agencies {
	return &agencies{table: t, byCountry: groupBy(t.all, func(a *store.Agency) []string { return one(a.Country) },
		func(a, b *store.Agency) int { return cmp.Compare(a.Key, b.Key) })}
}

func newGroupings(t *table[store.Grouping]) *groupings {
	byPosition := func(a, b *store.Grouping) int {
		return cmp.Or(cmp.Compare(a.Position, b.Position), cmp.Compare(a.Slug, b.Slug))
	}
	g := &groupings{table: t, byParent: groupBy(t.all, func(g *store.Grouping) []string {
		if g.Parent == nil {
			return nil
		}
		return one(*g.Parent)
	}, byPosition)}
	for _, d := range t.all {
		if d.Kind == store.GroupingRegion {
			g.regions = append(g.regions, d)
		}
	}
	slices.SortFunc(g.regions, byPosition)
	return g
}

func newMemberships(t *table[store.Membership]) *memberships {
	return &memberships{table: t,
		byCountry: groupBy(t.all, func(m *store.Membership) []string { return one(m.Country) },
			func(a, b *store.Membership) int {
				return cmp.Or(cmp.Compare(a.Grouping, b.Grouping), cmp.Compare(a.Key, b.Key))
			}),
		byGrouping: groupBy(t.all, func(m *store.Membership) []string { return one(m.Grouping) },
			func(a, b *store.Membership) int {
				return cmp.Or(cmp.Compare(a.Country, b.Country), cmp.Compare(a.Key, b.Key))
			}),
	}
}

func newMeetings(t *table[store.Meeting]) *meetings {
	return &meetings{table: t, byHost: groupBy(t.all, func(m *store.Meeting) []string { return one(m.Host) },
		func(a, b *store.Meeting) int {
			return cmp.Or(cmp.Compare(a.Number, b.Number), cmp.Compare(a.Key, b.Key))
		})}
}

func newDecisions(t *table[store.Decision]) *decisions {
	bySeq := func(a, b *store.Decision) int { return cmp.Or(cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.Key, b.Key)) }
	return &decisions{table: t,
		byMeeting:  groupBy(t.all, func(d *store.Decision) []string { return one(d.Meeting) }, bySeq),
		byGrouping: groupBy(t.all, func(d *store.Decision) []string { return slices.Compact(slices.Sorted(slices.Values(d.Groupings))) }, bySeq),
	}
}

func countryVersion(c *store.Country) int       { return c.Version }
func agencyVersion(a *store.Agency) int         { return a.Version }
func groupingVersion(g *store.Grouping) int     { return g.Version }
func membershipVersion(m *store.Membership) int { return m.Version }
func meetingVersion(m *store.Meeting) int       { return m.Version }
func decisionVersion(d *store.Decision) int     { return d.Version }

// build returns the snapshot of a whole dataset at generation gen.
func build(ds *store.Dataset, gen int64, cursors store.Cursors) *Snapshot {
	return (&Snapshot{cursors: cursors}).replaced(ds, store.ReferenceCollections, gen)
}

// with returns a snapshot at generation gen with the writes ws applied: the collections they
// touch are rebuilt, the others shared.
func (s *Snapshot) with(ws []store.Written, gen int64) *Snapshot {
	byColl := map[string][]store.Written{}
	for _, w := range ws {
		byColl[w.Collection] = append(byColl[w.Collection], w)
	}
	now := time.Now()
	next := s.next(gen)
	next.countries = changed(s.countries, s.countries.table, byColl[store.CountriesCollection], now, newCountries)
	next.agencies = changed(s.agencies, s.agencies.table, byColl[store.AgenciesCollection], now, newAgencies)
	next.groupings = changed(s.groupings, s.groupings.table, byColl[store.GroupingsCollection], now, newGroupings)
	next.memberships = changed(s.memberships, s.memberships.table, byColl[store.MembershipsCollection], now, newMemberships)
	next.meetings = changed(s.meetings, s.meetings.table, byColl[store.MeetingsCollection], now, newMeetings)
	next.decisions = changed(s.decisions, s.decisions.table, byColl[store.DecisionsCollection], now, newDecisions)
	return next
}

// changed returns the indexed table of t with the writes ws applied, or cur when they change
// nothing.
func changed[T, I any](cur I, t *table[T], ws []store.Written, now time.Time, index func(*table[T]) I) I {
	if n := t.with(ws, now); n != t {
		return index(n)
	}
	return cur
}

// replaced returns a snapshot at generation gen in which the collections colls are replaced
// by ds's documents, the others shared.
func (s *Snapshot) replaced(ds *store.Dataset, colls []string, gen int64) *Snapshot {
	next := s.next(gen)
	for _, c := range colls {
		switch c {
		case store.CountriesCollection:
			next.countries = newCountries(newTable(ds.Countries, countryKey, countryVersion))
		case store.AgenciesCollection:
			next.agencies = newAgencies(newTable(ds.Agencies, agencyKey, agencyVersion))
		case store.GroupingsCollection:
			next.groupings = newGroupings(newTable(ds.Groupings, groupingKey, groupingVersion))
		case store.MembershipsCollection:
			next.memberships = newMemberships(newTable(ds.Memberships, membershipKey, membershipVersion))
		case store.MeetingsCollection:
			next.meetings = newMeetings(newTable(ds.Meetings, meetingKey, meetingVersion))
		case store.DecisionsCollection:
			next.decisions = newDecisions(newTable(ds.Decisions, decisionKey, decisionVersion))
		}
	}
	return next
}

// next returns a copy of s at generation gen (never below s's), sharing every collection.
func (s *Snapshot) next(gen int64) *Snapshot {
	return &Snapshot{Gen: max(gen, s.Gen), Built: time.Now(), cursors: s.cursors,
		countries: s.countries, agencies: s.agencies, groupings: s.groupings,
		memberships: s.memberships, meetings: s.meetings, decisions: s.decisions}
}

// Counts returns how many documents each collection holds, by collection name.
func (s *Snapshot) Counts() map[string]int {
	return map[string]int{
		store.CountriesCollection: len(s.countries.all), store.AgenciesCollection: len(s.agencies.all),
		store.GroupingsCollection: len(s.groupings.all), store.MembershipsCollection: len(s.memberships.all),
		store.MeetingsCollection: len(s.meetings.all), store.DecisionsCollection: len(s.decisions.all),
	}
}

// Country returns the country with the ISO 3166-1 code code, given as alpha-2 ("PE"),
// alpha-3 ("PER") or numeric ("604"; "36" is read as "036"), in any case, surrounding spaces
// ignored; nil for an unknown or malformed code.
func (s *Snapshot) Country(code string) *store.Country {
	code = strings.ToUpper(strings.TrimSpace(code))
	if isDigits(code) && len(code) < 3 {
		code = strings.Repeat("0", 3-len(code)) + code
	}
	switch {
	case len(code) == 2:
		return s.countries.get(code)
	case len(code) == 3 && isDigits(code):
		return s.countries.byNumeric[code]
	case len(code) == 3:
		return s.countries.byAlpha3[code]
	}
	return nil
}

// CountryByCode returns the country with alpha-2 code code exactly, or nil.
func (s *Snapshot) CountryByCode(code string) *store.Country { return s.countries.get(code) }

// Agency returns the agency stored under key, or nil.
func (s *Snapshot) Agency(key string) *store.Agency { return s.agencies.get(key) }

// Grouping returns the grouping with slug slug, or nil.
func (s *Snapshot) Grouping(slug string) *store.Grouping { return s.groupings.get(slug) }

// Meeting returns the meeting stored under key, or nil.
func (s *Snapshot) Meeting(key string) *store.Meeting { return s.meetings.get(key) }

// Decision returns the decision stored under key, or nil.
func (s *Snapshot) Decision(key string) *store.Decision { return s.decisions.get(key) }

// AgenciesOf returns the agencies of the country with alpha-2 code code, by key. The list is
// the snapshot's own: callers must not change it.
func (s *Snapshot) AgenciesOf(code string) []*store.Agency { return nonNil(s.agencies.byCountry[code]) }

// ChildrenOf returns the groupings whose parent is slug, in display order.
func (s *Snapshot) ChildrenOf(slug string) []*store.Grouping {
	return nonNil(s.groupings.byParent[slug])
}

// MeetingsHostedBy returns the meetings hosted by the country with alpha-2 code code, by
// number.
func (s *Snapshot) MeetingsHostedBy(code string) []*store.Meeting {
	return nonNil(s.meetings.byHost[code])
}

// DecisionsOfMeeting returns the decisions of the meeting key, in record order.
func (s *Snapshot) DecisionsOfMeeting(key string) []*store.Decision {
	return nonNil(s.decisions.byMeeting[key])
}

// DecisionsOfGrouping returns the decisions that name the grouping slug, in record order.
func (s *Snapshot) DecisionsOfGrouping(slug string) []*store.Decision {
	return nonNil(s.decisions.byGrouping[slug])
}

// Countries returns the countries with the given alpha-2 codes, in that order; unknown codes
// are left out.
func (s *Snapshot) Countries(codes []string) []*store.Country { return lookup(codes, s.countries.get) }

// Groupings returns the groupings with the given slugs, in that order; unknown slugs are left
// out.
func (s *Snapshot) Groupings(slugs []string) []*store.Grouping { return lookup(slugs, s.groupings.get) }

// lookup returns get of each key, leaving out what is missing.
func lookup[T any](keys []string, get func(string) *T) []*T {
	out := make([]*T, 0, len(keys))
	for _, k := range keys {
		if d := get(k); d != nil {
			out = append(out, d)
		}
	}
	return out
}

// nonNil returns xs, or an empty list for nil (GraphQL lists are never null here).
func nonNil[T any](xs []*T) []*T {
	if xs == nil {
		return []*T{}
	}
	return xs
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
