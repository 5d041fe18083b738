package readmodel

import (
	"slices"
	"time"

	"github.com/fealac/smegraph/internal/store"
)

// The orderings of the connections. Their names and key names are what cursors carry.
var (
	countryID    = stringField("_id", func(c *store.Country) string { return c.Code })
	countryOrder = orderings[store.Country, store.CountryOrderField]{
		prefix: "country", id: countryID, def: keyOrder("country:CODE.ASC", countryID),
		fields: map[store.CountryOrderField]field[store.Country]{
			store.CountryByCode:   countryID,
			store.CountryByName:   stringField("sortName", func(c *store.Country) string { return c.Derived.SortName }),
			store.CountryByRegion: stringField("region", func(c *store.Country) string { return c.Region }),
		},
	}

	agencyID    = stringField("_id", func(a *store.Agency) string { return a.Key })
	agencyOrder = orderings[store.Agency, store.AgencyOrderField]{
		prefix: "agency", id: agencyID, def: keyOrder("agency:key", agencyID),
		fields: map[store.AgencyOrderField]field[store.Agency]{
			// By NAME, agencies without a name come last: their sort name is "2".
			store.AgencyByName:      stringField("sortName", func(a *store.Agency) string { return a.Derived.SortName }),
			store.AgencyByCountry:   stringField("country", func(a *store.Agency) string { return a.Country }),
			store.AgencyByUpdatedAt: timeField("updatedAt", func(a *store.Agency) time.Time { return a.UpdatedAt }),
		},
	}

	groupingOrder = &ordering[store.Grouping]{name: "grouping:position", keys: []orderKey[store.Grouping]{
		{field: intField("position", func(g *store.Grouping) int { return g.Position })},
		{field: stringField("_id", func(g *store.Grouping) string { return g.Slug })},
	}}

	meetingID    = stringField("_id", func(m *store.Meeting) string { return m.Key })
	meetingOrder = orderings[store.Meeting, store.MeetingOrderField]{
		prefix: "meeting", id: meetingID,
		def: &ordering[store.Meeting]{name: "meeting:NUMBER.ASC", keys: []orderKey[store.Meeting]{
			{field: intField("number", func(m *store.Meeting) int { return m.Number })}, {field: meetingID}}},
		fields: map[store.MeetingOrderField]field[store.Meeting]{
			store.MeetingByNumber: intField("number", func(m *store.Meeting) int { return m.Number }),
			// By START_DATE, meetings without a date come last: their sort key is "~".
			store.MeetingByStartDate: stringField("sortStart", func(m *store.Meeting) string { return m.Derived.SortStart }),
		},
	}

	decisionOrder = &ordering[store.Decision]{name: "decision:seq", keys: []orderKey[store.Decision]{
		{field: intField("seq", func(d *store.Decision) int { return d.Seq })},
		{field: stringField("_id", func(d *store.Decision) string { return d.Key })},
	}}
)

// CountryPage returns one page of the countries that f selects (all when nil), in the order
// given by orderBy (default: by alpha-2 code), always ending with the code as tie-break.
// Errors are BAD_USER_INPUT naming the argument.
func (s *Snapshot) CountryPage(f *store.CountryFilter, orderBy []*store.CountryOrder, p store.PageArgs) (*store.Page[store.Country], error) {
	o, err := countryOrder.build(orderBy)
	if err != nil {
		return nil, err
	}
	if err := checkShape(f, 0, &filterShape{}, func(f *store.CountryFilter) (int, int) {
		n := conditions(f.Code) + conditions(f.Name) + conditions(f.Region) + conditions(f.Grouping) + boolCount(f.HasAgencyURL)
		if f.Grouping != nil {
			return n, 1
		}
		return n, 0
	}, func(f *store.CountryFilter) []*store.CountryFilter { return slices.Concat(f.And, f.Or) }); err != nil {
		return nil, err
	}
	match, err := s.countryFilter(f, "filter", &budget{left: store.MaxFilterValues})
	if err != nil {
		return nil, err
	}
	return page(s.countries.table, o, match, p, s.cursors)
}

// AgencyPage returns one page of the agencies that f selects (all when nil), in the order
// given by orderBy (default: by key, and so by country), always ending with the key as
// tie-break. By NAME, agencies without a name come last (first when descending).
func (s *Snapshot) AgencyPage(f *store.AgencyFilter, orderBy []*store.AgencyOrder, p store.PageArgs) (*store.Page[store.Agency], error) {
	o, err := agencyOrder.build(orderBy)
	if err != nil {
		return nil, err
	}
	if err := checkShape(f, 0, &filterShape{}, func(f *store.AgencyFilter) (int, int) {
		n := conditions(f.Country) + conditions(f.Region) + conditions(f.Name) + boolCount(f.HasURL)
		if f.Kind != nil {
			n++
		}
		return n, 0
	}, func(f *store.AgencyFilter) []*store.AgencyFilter { return slices.Concat(f.And, f.Or) }); err != nil {
		return nil, err
	}
	match, err := agencyFilter(f, "filter", &budget{left: store.MaxFilterValues})
	if err != nil {
		return nil, err
	}
	return page(s.agencies.table, o, match, p, s.cursors)
}

// GroupingPage returns one page of the groupings that f selects (all when nil), in display
// order: the forum, its regions, trade blocs, APEC, then the working groups.
func (s *Snapshot) GroupingPage(f *store.GroupingFilter, p store.PageArgs) (*store.Page[store.Grouping], error) {
	match, err := groupingFilter(f)
	if err != nil {
		return nil, err
	}
	return page(s.groupings.table, groupingOrder, match, p, s.cursors)
}

// MeetingPage returns one page of the meetings that f selects (all when nil), in the order
// given by orderBy (default: by number). By START_DATE, meetings without a date come last.
// The host filter takes any ISO form or a name of the host.
func (s *Snapshot) MeetingPage(f *store.MeetingFilter, orderBy []*store.MeetingOrder, p store.PageArgs) (*store.Page[store.Meeting], error) {
	o, err := meetingOrder.build(orderBy)
	if err != nil {
		return nil, err
	}
	match, err := meetingFilter(f)
	if err != nil {
		return nil, err
	}
	return page(s.meetings.table, o, match, p, s.cursors)
}

// DecisionPage returns one page of the decisions that f selects (all when nil), by meeting
// and then as each meeting lists them. A malformed meeting ID is BAD_USER_INPUT.
func (s *Snapshot) DecisionPage(f *store.DecisionFilter, p store.PageArgs) (*store.Page[store.Decision], error) {
	match, err := decisionFilter(f)
	if err != nil {
		return nil, err
	}
	return page(s.decisions.table, decisionOrder, match, p, s.cursors)
}
