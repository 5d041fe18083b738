package readmodel

import (
	"cmp"
	"slices"
	"sync/atomic"
	"time"

	"github.com/fealac/smegraph/internal/store"
)

// dayView is the membership graph on one date: which periods are in force, and who is a full
// member of what. Computed once per snapshot and date (see Snapshot.day), so that the asOf
// fields of a request cost map reads.
type dayView struct {
	// inForceByCountry and inForceByGrouping hold the periods in force, of any status, in the
	// order of the memberships lists.
	inForceByCountry, inForceByGrouping map[string][]*store.Membership
	// members are the full memberships in force; membersOf and groupingsOf the countries of
	// each grouping (by code) and the groupings of each country (in display order).
	members     []*store.Membership
	membersOf   map[string][]*store.Country
	groupingsOf map[string][]*store.Grouping
}

// maxDays bounds the dates a snapshot keeps views of: a client asking for many dates only
// makes the cache start again.
const maxDays = 16

// day returns the view of date (YYYY-MM-DD).
func (s *Snapshot) day(date string) *dayView {
	if v, ok := s.days.Load(date); ok {
		return v.(*dayView)
	}
	v := s.buildDay(date)
	n := 0
	s.days.Range(func(any, any) bool { n++; return n < maxDays })
	if n >= maxDays {
		s.days.Clear()
	}
	actual, _ := s.days.LoadOrStore(date, v)
	return actual.(*dayView)
}

// buildDay computes the view of date.
func (s *Snapshot) buildDay(date string) *dayView {
	v := &dayView{
		inForceByCountry:  map[string][]*store.Membership{},
		inForceByGrouping: map[string][]*store.Membership{},
		membersOf:         map[string][]*store.Country{},
		groupingsOf:       map[string][]*store.Grouping{},
	}
	for code, ms := range s.memberships.byCountry {
		for _, m := range ms {
			if !m.InForceOn(date) {
				continue
			}
			v.inForceByCountry[code] = append(v.inForceByCountry[code], m)
			if m.MemberOn(date) {
				if g := s.groupings.get(m.Grouping); g != nil {
					v.groupingsOf[code] = append(v.groupingsOf[code], g)
				}
			}
		}
		slices.SortStableFunc(v.groupingsOf[code], func(a, b *store.Grouping) int { return cmp.Compare(a.Position, b.Position) })
	}
	for slug, ms := range s.memberships.byGrouping {
		for _, m := range ms {
			if !m.InForceOn(date) {
				continue
			}
			v.inForceByGrouping[slug] = append(v.inForceByGrouping[slug], m)
			if m.MemberOn(date) {
				v.members = append(v.members, m)
				if c := s.countries.get(m.Country); c != nil {
					v.membersOf[slug] = append(v.membersOf[slug], c)
				}
			}
		}
	}
	return v
}

// MembershipsOfCountry returns the membership periods of the country code in force on date,
// of any status, by grouping.
func (s *Snapshot) MembershipsOfCountry(code, date string) []*store.Membership {
	return nonNil(s.day(date).inForceByCountry[code])
}

// MembershipsOfGrouping returns the membership periods in the grouping slug in force on
// date, of any status, by country.
func (s *Snapshot) MembershipsOfGrouping(slug, date string) []*store.Membership {
	return nonNil(s.day(date).inForceByGrouping[slug])
}

// GroupingsOf returns the groupings the country code is a full member of on date, in display
// order.
func (s *Snapshot) GroupingsOf(code, date string) []*store.Grouping {
	return nonNil(s.day(date).groupingsOf[code])
}

// MembersOf returns the countries that are full members of the grouping slug on date, by
// code.
func (s *Snapshot) MembersOf(slug, date string) []*store.Country {
	return nonNil(s.day(date).membersOf[slug])
}

// todayCache holds today's date in UTC for the asOf fields, which default to it.
var todayCache atomic.Pointer[dayStamp]

// dayStamp is a date (YYYY-MM-DD) with its day number since 1970.
type dayStamp struct {
	n    int64
	date string
}

// today returns today's date in UTC as YYYY-MM-DD.
func today() string {
	now := time.Now().UTC()
	n := now.Unix() / 86400
	if c := todayCache.Load(); c != nil && c.n == n {
		return c.date
	}
	c := &dayStamp{n: n, date: now.Format(time.DateOnly)}
	todayCache.Store(c)
	return c.date
}

// Day returns asOf, or today's date in UTC when asOf is nil.
func Day(asOf *string) string {
	if asOf != nil {
		return *asOf
	}
	return today()
}
