package readmodel

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fealac/smegraph/internal/store"
)

// The keyset pages of every connection are checked against a brute force: the whole set
// sorted by a comparison written here from the schema's words (not the ordering code), then
// filtered, then cut by position. Every ordering is walked forward and backward at several
// page sizes, and windows between cursors of nodes inside and outside the filter are cut
// both ways. The data is made with many ties on every sort key, so that the tie-break by key
// and its direction decide most positions.

// pageCheck is one connection, ordering and filter to check.
type pageCheck[T any] struct {
	all []*T
	key func(*T) string
	// ref is the reference order (total: it ends with the key).
	ref func(a, b *T) int
	// match is the reference filter, nil for all.
	match func(*T) bool
	// fetch answers one page of the filtered connection; fetchAll of the unfiltered one, in
	// the same ordering (its cursors give every node a position, the filtered-out ones too).
	fetch, fetchAll func(store.PageArgs) (*store.Page[T], error)
}

// pageArgs returns the PageArgs of first/after/last/before (0 and "" for absent, except
// first and last given as -1 for absent, so that 0 can be asked for).
func pageArgs(t *testing.T, first int, after string, last int, before string) store.PageArgs {
	t.Helper()
	var f, l *int
	var a, b *string
	if first >= 0 {
		f = &first
	}
	if last >= 0 {
		l = &last
	}
	if after != "" {
		a = &after
	}
	if before != "" {
		b = &before
	}
	p, err := store.NewPageArgs(f, a, l, b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (c pageCheck[T]) run(t *testing.T) {
	t.Helper()
	sorted := slices.SortedStableFunc(slices.Values(c.all), c.ref)
	pos := map[string]int{}
	for i, d := range sorted {
		pos[c.key(d)] = i
	}
	var want []string
	for _, d := range sorted {
		if c.match == nil || c.match(d) {
			want = append(want, c.key(d))
		}
	}
	keys := func(p *store.Page[T]) []string {
		out := make([]string, len(p.Items))
		for i, d := range p.Items {
			out[i] = c.key(d)
		}
		return out
	}
	get := func(fetch func(store.PageArgs) (*store.Page[T], error), p store.PageArgs) *store.Page[T] {
		t.Helper()
		page, err := fetch(p)
		if err != nil {
			t.Fatalf("page %+v: %v", p, err)
		}
		if len(page.Cursors) != len(page.Items) {
			t.Fatalf("%d cursors for %d nodes", len(page.Cursors), len(page.Items))
		}
		return page
	}

	// The cursor of every node, from a forward walk of the unfiltered connection.
	cursorOf := map[string]string{}
	for after := ""; ; {
		page := get(c.fetchAll, pageArgs(t, store.MaxPageSize, after, -1, ""))
		for i, d := range page.Items {
			cursorOf[c.key(d)] = page.Cursors[i]
		}
		if !page.HasNext {
			break
		}
		after = page.Cursors[len(page.Cursors)-1]
	}
	if len(cursorOf) != len(c.all) {
		t.Fatalf("the unfiltered walk saw %d of %d nodes", len(cursorOf), len(c.all))
	}

	// totalCount ignores the page arguments; first: 0 gives no node but says whether any is.
	page := get(c.fetch, pageArgs(t, 0, "", -1, ""))
	if n, _ := page.TotalCount(t.Context()); n != len(want) {
		t.Errorf("totalCount %d, want %d", n, len(want))
	}
	if len(page.Items) != 0 || page.HasNext != (len(want) > 0) {
		t.Errorf("first: 0 gave %d nodes, hasNext %v (%d match)", len(page.Items), page.HasNext, len(want))
	}

	for _, size := range []int{1, 2, 7, store.MaxPageSize} {
		// Forward, page by page.
		var got []string
		for after, n := "", 0; ; n++ {
			page := get(c.fetch, pageArgs(t, size, after, -1, ""))
			if page.HasPrevious != (after != "") {
				t.Errorf("first %d after %q: hasPreviousPage %v", size, after, page.HasPrevious)
			}
			for i, d := range page.Items {
				if page.Cursors[i] != cursorOf[c.key(d)] {
					t.Errorf("the cursor of %s differs between the filtered and the whole connection", c.key(d))
				}
			}
			got = append(got, keys(page)...)
			if !page.HasNext || n > len(c.all) {
				break
			}
			after = page.Cursors[len(page.Cursors)-1]
		}
		if !slices.Equal(got, want) {
			t.Errorf("forward walk by %d:\n got %v\nwant %v", size, got, want)
		}
		// Backward, page by page.
		got = nil
		for before, n := "", 0; ; n++ {
			page := get(c.fetch, pageArgs(t, -1, "", size, before))
			if page.HasNext != (before != "") {
				t.Errorf("last %d before %q: hasNextPage %v", size, before, page.HasNext)
			}
			got = append(keys(page), got...)
			if !page.HasPrevious || n > len(c.all) {
				break
			}
			before = page.Cursors[0]
		}
		if !slices.Equal(got, want) {
			t.Errorf("backward walk by %d:\n got %v\nwant %v", size, got, want)
		}
	}

	// Windows between the cursors of nodes at chosen positions of the whole order, matching
	// the filter or not; -1 is no cursor.
	n := len(sorted)
	at := []int{-1, 0, 1, n / 3, n / 2, n - 2, n - 1}
	for _, i := range at {
		for _, j := range at {
			after, before := "", ""
			if i >= 0 {
				after = cursorOf[c.key(sorted[i])]
			}
			if j >= 0 {
				before = cursorOf[c.key(sorted[j])]
			}
			var in []string
			for _, k := range want {
				if (i < 0 || pos[k] > i) && (j < 0 || pos[k] < j) {
					in = append(in, k)
				}
			}
			for _, size := range []int{3, store.MaxPageSize} {
				m := min(size, len(in))
				page := get(c.fetch, pageArgs(t, size, after, -1, before))
				if got := keys(page); !slices.Equal(got, in[:m]) || page.HasNext != (len(in) > size) || page.HasPrevious != (i >= 0) {
					t.Errorf("first %d between positions %d and %d: %v next %v previous %v, want %v next %v previous %v",
						size, i, j, got, page.HasNext, page.HasPrevious, in[:m], len(in) > size, i >= 0)
				}
				page = get(c.fetch, pageArgs(t, -1, after, size, before))
				if got := keys(page); !slices.Equal(got, in[len(in)-m:]) || page.HasPrevious != (len(in) > size) || page.HasNext != (j >= 0) {
					t.Errorf("last %d between positions %d and %d: %v next %v previous %v, want %v next %v previous %v",
						size, i, j, got, page.HasNext, page.HasPrevious, in[len(in)-m:], j >= 0, len(in) > size)
				}
			}
		}
	}
}

// sortKey is one key of a reference order.
type sortKey[T any] struct {
	cmp  func(a, b *T) int
	desc bool
}

// refOrder is the order the schema describes: the keys in turn, then the node's key in the
// direction of the last one (unless a key is the node's key already).
func refOrder[T any](key func(*T) string, keys []sortKey[T], hasKey bool) func(a, b *T) int {
	if !hasKey {
		desc := len(keys) > 0 && keys[len(keys)-1].desc
		keys = append(slices.Clone(keys), sortKey[T]{cmp: func(a, b *T) int { return cmp.Compare(key(a), key(b)) }, desc: desc})
	}
	return func(a, b *T) int {
		for _, k := range keys {
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
}

func ptr[T any](v T) *T { return &v }

// testCountries are made-up countries: 40 codes, 7 sort names and 3 regions, so ties are
// many.
func testCountries() []*store.Country {
	names := []string{"Alpha", "Beta", "Gamma", "Andes", "Delta", "Banana", "Alpha"}
	regions := []string{"asia", "latam", "oceania"}
	var out []*store.Country
	for i := range 40 {
		code := fmt.Sprintf("%c%c", 'A'+i%5, 'A'+i/5)
		name := names[i%len(names)]
		entry := "NA"
		if i%3 != 0 {
			entry = "www.example.org"
		}
		out = append(out, &store.Country{
			Code: code, Alpha3: code + "X", Numeric: fmt.Sprintf("%03d", i+1),
			Names: []store.LocalizedText{{Lang: "en", Text: name}}, Region: regions[(i*7)%len(regions)], ListEntry: entry,
			Revision: store.Revision{Version: 1},
			Derived: store.CountryDerived{NameKeys: []string{strings.ToLower(name)}, CodeKeys: []string{strings.ToLower(code)},
				SortName: strings.ToLower(name), HasAgencyURL: entry != "NA"},
		})
	}
	return out
}

// testAgencies are made-up agencies of 5 countries, with 5 names (some nameless), 4
// update times a millisecond apart, kinds in turn and some without an address.
func testAgencies() []*store.Agency {
	countries := []string{"PE", "CL", "JP", "KR", "MX"}
	regions := map[string]string{"PE": "latam", "CL": "latam", "JP": "asia", "KR": "asia", "MX": "latam"}
	names := []string{"Alpha agency", "Beta office", "alpha bank", "Gamma", "Beta office"}
	kinds := []store.AgencyKind{store.AgencyMinistry, store.AgencyAgency, store.AgencyChamber, store.AgencyOther}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []*store.Agency
	for i := range 150 {
		c := countries[(i*3)%len(countries)]
		a := &store.Agency{
			Key: fmt.Sprintf("AG-%s-%03d", c, i), Country: c, Kind: kinds[i%len(kinds)],
			Revision: store.Revision{Version: 1 + i%3, UpdatedAt: base.Add(time.Duration(i%4) * time.Millisecond)},
			Derived:  store.AgencyDerived{SortName: "2", CountryCodes: []string{c}, CountryKeys: []string{strings.ToLower(c)}, Region: regions[c]},
		}
		if i%9 != 4 {
			name := names[i%len(names)]
			a.Names = []store.LocalizedText{{Lang: "en", Text: name}}
			a.Derived.SortName = "1" + strings.ToLower(name)
			a.Derived.NameKeys = []string{strings.ToLower(name)}
		}
		if i%3 != 1 {
			a.URL = ptr(fmt.Sprintf("https://example.org/%d", i))
		}
		out = append(out, a)
	}
	return out
}

// testMeetings are made-up meetings with repeated numbers and start dates, some unknown.
func testMeetings() []*store.Meeting {
	hosts := []string{"PE", "JP", "KR"}
	var out []*store.Meeting
	for i := range 30 {
		m := &store.Meeting{Key: fmt.Sprintf("M-%02d", i), Number: i % 10, Host: hosts[i%len(hosts)], Year: 2000 + i%12,
			Revision: store.Revision{Version: 1}, Derived: store.MeetingDerived{SortStart: "~", HostCodes: []string{hosts[i%len(hosts)]}}}
		if i%4 != 0 {
			m.StartDate = ptr(fmt.Sprintf("20%02d-0%d-01", 10+i%5, 1+i%3))
			m.Derived.SortStart = *m.StartDate
		}
		out = append(out, m)
	}
	return out
}

// testGroupings are made-up groupings with repeated positions.
func testGroupings() []*store.Grouping {
	kinds := []store.GroupingKind{store.GroupingRegion, store.GroupingTradeBloc}
	var out []*store.Grouping
	for i := range 25 {
		out = append(out, &store.Grouping{Slug: fmt.Sprintf("g-%02d", (i*7)%25), Kind: kinds[i%2], Position: i % 6, Revision: store.Revision{Version: 1}})
	}
	return out
}

// testDecisions are made-up decisions with repeated sequence numbers.
func testDecisions() []*store.Decision {
	kinds := []store.DecisionKind{store.DecisionDecision, store.DecisionOther}
	var out []*store.Decision
	for i := range 25 {
		out = append(out, &store.Decision{Key: fmt.Sprintf("D-%02d", (i*11)%25), Seq: i % 8, Meeting: "M-01", Kind: kinds[i%2], Revision: store.Revision{Version: 1}})
	}
	return out
}

// testSnapshot builds a snapshot of the made-up data (cursors signed with an empty key).
func testSnapshot() *Snapshot {
	return build(&store.Dataset{Countries: testCountries(), Agencies: testAgencies(), Meetings: testMeetings(),
		Groupings: testGroupings(), Decisions: testDecisions()}, 1, store.Cursors{})
}

func TestCountryPagesMatchBruteForce(t *testing.T) {
	s := testSnapshot()
	code := func(c *store.Country) string { return c.Code }
	fields := map[store.CountryOrderField]func(a, b *store.Country) int{
		store.CountryByCode:   func(a, b *store.Country) int { return cmp.Compare(a.Code, b.Code) },
		store.CountryByName:   func(a, b *store.Country) int { return cmp.Compare(a.Derived.SortName, b.Derived.SortName) },
		store.CountryByRegion: func(a, b *store.Country) int { return cmp.Compare(a.Region, b.Region) },
	}
	orderings := [][]*store.CountryOrder{
		nil,
		{{Field: store.CountryByCode, Direction: store.Desc}},
		{{Field: store.CountryByName}}, // direction: null is ascending
		{{Field: store.CountryByName, Direction: store.Desc}},
		{{Field: store.CountryByRegion, Direction: store.Asc}, {Field: store.CountryByName, Direction: store.Desc}},
		{{Field: store.CountryByRegion, Direction: store.Desc}, {Field: store.CountryByCode, Direction: store.Asc}, {Field: store.CountryByName, Direction: store.Desc}},
		{{Field: store.CountryByName, Direction: store.Asc}, {Field: store.CountryByRegion, Direction: store.Desc}},
	}
	filters := []struct {
		name  string
		f     *store.CountryFilter
		match func(*store.Country) bool
	}{
		{"all", nil, nil},
		{"code in", &store.CountryFilter{Code: &store.StringFilter{In: []string{"aa", "BC", "003", "EH", "zz"}}},
			func(c *store.Country) bool {
				return slices.Contains([]string{"AA", "BC", "EH"}, c.Code) || c.Numeric == "003"
			}},
		{"name contains", &store.CountryFilter{Name: &store.StringFilter{Contains: ptr("an")}},
			func(c *store.Country) bool { return strings.Contains(c.Derived.SortName, "an") }},
		{"region and address", &store.CountryFilter{Region: &store.StringFilter{Eq: ptr("ASIA")}, HasAgencyURL: ptr(true)},
			func(c *store.Country) bool { return c.Region == "asia" && c.Derived.HasAgencyURL }},
		{"or", &store.CountryFilter{Or: []*store.CountryFilter{{Region: &store.StringFilter{Eq: ptr("oceania")}}, {HasAgencyURL: ptr(false)}}},
			func(c *store.Country) bool { return c.Region == "oceania" || !c.Derived.HasAgencyURL }},
	}
	for _, o := range orderings {
		var keys []sortKey[store.Country]
		hasCode := false
		var name []string
		for _, k := range o {
			keys = append(keys, sortKey[store.Country]{cmp: fields[k.Field], desc: k.Direction == store.Desc})
			hasCode = hasCode || k.Field == store.CountryByCode
			name = append(name, string(k.Field)+"."+string(k.Direction))
		}
		ref := refOrder(code, keys, hasCode)
		for _, f := range filters {
			t.Run(strings.Join(name, ",")+"/"+f.name, func(t *testing.T) {
				pageCheck[store.Country]{
					all: s.countries.all, key: code, ref: ref, match: f.match,
					fetch:    func(p store.PageArgs) (*store.Page[store.Country], error) { return s.CountryPage(f.f, o, p) },
					fetchAll: func(p store.PageArgs) (*store.Page[store.Country], error) { return s.CountryPage(nil, o, p) },
				}.run(t)
			})
		}
	}
}

func TestAgencyPagesMatchBruteForce(t *testing.T) {
	s := testSnapshot()
	key := func(a *store.Agency) string { return a.Key }
	fields := map[store.AgencyOrderField]func(a, b *store.Agency) int{
		store.AgencyByName:      func(a, b *store.Agency) int { return cmp.Compare(a.Derived.SortName, b.Derived.SortName) },
		store.AgencyByCountry:   func(a, b *store.Agency) int { return cmp.Compare(a.Country, b.Country) },
		store.AgencyByUpdatedAt: func(a, b *store.Agency) int { return a.UpdatedAt.Compare(b.UpdatedAt) },
	}
	orderings := [][]*store.AgencyOrder{
		nil,
		{{Field: store.AgencyByName, Direction: store.Asc}},
		{{Field: store.AgencyByName, Direction: store.Desc}},
		{{Field: store.AgencyByCountry}},
		{{Field: store.AgencyByCountry, Direction: store.Desc}, {Field: store.AgencyByName, Direction: store.Asc}},
		{{Field: store.AgencyByUpdatedAt, Direction: store.Desc}},
		{{Field: store.AgencyByUpdatedAt, Direction: store.Asc}, {Field: store.AgencyByCountry, Direction: store.Desc}},
		{{Field: store.AgencyByName, Direction: store.Asc}, {Field: store.AgencyByUpdatedAt, Direction: store.Desc}, {Field: store.AgencyByCountry, Direction: store.Asc}},
	}
	hasName := func(a *store.Agency, p func(string) bool) bool {
		return slices.ContainsFunc(a.Derived.NameKeys, p)
	}
	filters := []struct {
		name  string
		f     *store.AgencyFilter
		match func(*store.Agency) bool
	}{
		{"all", nil, nil},
		{"country", &store.AgencyFilter{Country: &store.StringFilter{Eq: ptr(" pe")}}, func(a *store.Agency) bool { return a.Country == "PE" }},
		{"kinds", &store.AgencyFilter{Kind: []store.AgencyKind{store.AgencyAgency, store.AgencyOther}},
			func(a *store.Agency) bool { return a.Kind == store.AgencyAgency || a.Kind == store.AgencyOther }},
		{"no address", &store.AgencyFilter{HasURL: ptr(false)}, func(a *store.Agency) bool { return a.URL == nil }},
		{"name contains", &store.AgencyFilter{Name: &store.StringFilter{Contains: ptr("Office")}},
			func(a *store.Agency) bool {
				return hasName(a, func(k string) bool { return strings.Contains(k, "office") })
			}},
		{"or", &store.AgencyFilter{Or: []*store.AgencyFilter{{Country: &store.StringFilter{In: []string{"JP", "kr"}}}, {HasURL: ptr(false)}}},
			func(a *store.Agency) bool { return a.Country == "JP" || a.Country == "KR" || a.URL == nil }},
		{"and", &store.AgencyFilter{Region: &store.StringFilter{Ne: ptr("asia")}, And: []*store.AgencyFilter{{Kind: []store.AgencyKind{store.AgencyMinistry}}, {Name: &store.StringFilter{StartsWith: ptr("al")}}}},
			func(a *store.Agency) bool {
				return a.Derived.Region != "asia" && a.Kind == store.AgencyMinistry && hasName(a, func(k string) bool { return strings.HasPrefix(k, "al") })
			}},
	}
	for _, o := range orderings {
		var keys []sortKey[store.Agency]
		var name []string
		for _, k := range o {
			keys = append(keys, sortKey[store.Agency]{cmp: fields[k.Field], desc: k.Direction == store.Desc})
			name = append(name, string(k.Field)+"."+string(k.Direction))
		}
		ref := refOrder(key, keys, false)
		for _, f := range filters {
			t.Run(strings.Join(name, ",")+"/"+f.name, func(t *testing.T) {
				pageCheck[store.Agency]{
					all: s.agencies.all, key: key, ref: ref, match: f.match,
					fetch:    func(p store.PageArgs) (*store.Page[store.Agency], error) { return s.AgencyPage(f.f, o, p) },
					fetchAll: func(p store.PageArgs) (*store.Page[store.Agency], error) { return s.AgencyPage(nil, o, p) },
				}.run(t)
			})
		}
	}
}

func TestMeetingPagesMatchBruteForce(t *testing.T) {
	s := testSnapshot()
	key := func(m *store.Meeting) string { return m.Key }
	number := sortKey[store.Meeting]{cmp: func(a, b *store.Meeting) int { return cmp.Compare(a.Number, b.Number) }}
	start := sortKey[store.Meeting]{cmp: func(a, b *store.Meeting) int { return cmp.Compare(a.Derived.SortStart, b.Derived.SortStart) }}
	desc := func(k sortKey[store.Meeting]) sortKey[store.Meeting] { k.desc = true; return k }
	orderings := []struct {
		o    []*store.MeetingOrder
		keys []sortKey[store.Meeting]
	}{
		{nil, []sortKey[store.Meeting]{number}},
		{[]*store.MeetingOrder{{Field: store.MeetingByNumber, Direction: store.Desc}}, []sortKey[store.Meeting]{desc(number)}},
		{[]*store.MeetingOrder{{Field: store.MeetingByStartDate, Direction: store.Asc}}, []sortKey[store.Meeting]{start}},
		{[]*store.MeetingOrder{{Field: store.MeetingByStartDate, Direction: store.Desc}, {Field: store.MeetingByNumber, Direction: store.Asc}},
			[]sortKey[store.Meeting]{desc(start), number}},
	}
	filters := []struct {
		name  string
		f     *store.MeetingFilter
		match func(*store.Meeting) bool
	}{
		{"all", nil, nil},
		{"host and years", &store.MeetingFilter{Host: &store.StringFilter{Nin: []string{"pe"}}, YearFrom: ptr(2003), YearTo: ptr(2009)},
			func(m *store.Meeting) bool { return m.Host != "PE" && m.Year >= 2003 && m.Year <= 2009 }},
	}
	for i, o := range orderings {
		ref := refOrder(key, o.keys, false)
		for _, f := range filters {
			t.Run(fmt.Sprintf("%d/%s", i, f.name), func(t *testing.T) {
				pageCheck[store.Meeting]{
					all: s.meetings.all, key: key, ref: ref, match: f.match,
					fetch:    func(p store.PageArgs) (*store.Page[store.Meeting], error) { return s.MeetingPage(f.f, o.o, p) },
					fetchAll: func(p store.PageArgs) (*store.Page[store.Meeting], error) { return s.MeetingPage(nil, o.o, p) },
				}.run(t)
			})
		}
	}
}

func TestGroupingAndDecisionPagesMatchBruteForce(t *testing.T) {
	s := testSnapshot()
	slug := func(g *store.Grouping) string { return g.Slug }
	byPosition := refOrder(slug, []sortKey[store.Grouping]{{cmp: func(a, b *store.Grouping) int { return cmp.Compare(a.Position, b.Position) }}}, false)
	for _, f := range []*store.GroupingFilter{nil, {Kind: []store.GroupingKind{store.GroupingRegion}}} {
		var match func(*store.Grouping) bool
		if f != nil {
			match = func(g *store.Grouping) bool { return g.Kind == store.GroupingRegion }
		}
		t.Run(fmt.Sprintf("groupings/filtered=%v", f != nil), func(t *testing.T) {
			pageCheck[store.Grouping]{
				all: s.groupings.all, key: slug, ref: byPosition, match: match,
				fetch:    func(p store.PageArgs) (*store.Page[store.Grouping], error) { return s.GroupingPage(f, p) },
				fetchAll: func(p store.PageArgs) (*store.Page[store.Grouping], error) { return s.GroupingPage(nil, p) },
			}.run(t)
		})
	}
	key := func(d *store.Decision) string { return d.Key }
	bySeq := refOrder(key, []sortKey[store.Decision]{{cmp: func(a, b *store.Decision) int { return cmp.Compare(a.Seq, b.Seq) }}}, false)
	for _, f := range []*store.DecisionFilter{nil, {Kind: []store.DecisionKind{store.DecisionOther}}} {
		var match func(*store.Decision) bool
		if f != nil {
			match = func(d *store.Decision) bool { return d.Kind == store.DecisionOther }
		}
		t.Run(fmt.Sprintf("decisions/filtered=%v", f != nil), func(t *testing.T) {
			pageCheck[store.Decision]{
				all: s.decisions.all, key: key, ref: bySeq, match: match,
				fetch:    func(p store.PageArgs) (*store.Page[store.Decision], error) { return s.DecisionPage(f, p) },
				fetchAll: func(p store.PageArgs) (*store.Page[store.Decision], error) { return s.DecisionPage(nil, p) },
			}.run(t)
		})
	}
}

// TestCursorOfARemovedNode checks the keyset property across snapshots: a cursor of a node
// that a later snapshot no longer has still marks its place, so the next page starts right
// after where the node was.
func TestCursorOfARemovedNode(t *testing.T) {
	s := testSnapshot()
	byName := []*store.AgencyOrder{{Field: store.AgencyByName, Direction: store.Desc}}
	first, err := s.AgencyPage(nil, byName, pageArgs(t, 10, "", -1, ""))
	if err != nil {
		t.Fatal(err)
	}
	gone := first.Items[9]
	next := s.with([]store.Written{{Collection: store.AgenciesCollection, Key: gone.Key, Version: gone.Version}}, 2)
	if next.Agency(gone.Key) != nil || s.Agency(gone.Key) == nil {
		t.Fatal("the delete is not applied to the new snapshot alone")
	}
	want, err := s.AgencyPage(nil, byName, pageArgs(t, 5, first.Cursors[9], -1, ""))
	if err != nil {
		t.Fatal(err)
	}
	got, err := next.AgencyPage(nil, byName, pageArgs(t, 5, first.Cursors[9], -1, ""))
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Items {
		if got.Items[i].Key != want.Items[i].Key {
			t.Fatalf("after the removed node: %s, want %s", got.Items[i].Key, want.Items[i].Key)
		}
	}
	back, err := next.AgencyPage(nil, byName, pageArgs(t, -1, "", 9, first.Cursors[9]))
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range back.Items {
		if a.Key != first.Items[i].Key {
			t.Fatalf("before the removed node: %s at %d, want %s", a.Key, i, first.Items[i].Key)
		}
	}
}
