package seed

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fealac/smegraph/internal/store"
)

// index is a built dataset with its documents by key.
type index struct {
	ds          *store.Dataset
	countries   map[string]*store.Country
	groupings   map[string]*store.Grouping
	meetings    map[string]*store.Meeting
	agencies    map[string]*store.Agency // by country
	memberships map[string]*store.Membership
	decisions   map[string]*store.Decision
}

// build returns Dataset() indexed, failing the test on an error.
func build(t *testing.T) *index {
	t.Helper()
	ds, err := Dataset()
	if err != nil {
		t.Fatalf("Dataset: %v", err)
	}
	ix := &index{
		ds:          ds,
		countries:   map[string]*store.Country{},
		groupings:   map[string]*store.Grouping{},
		meetings:    map[string]*store.Meeting{},
		agencies:    map[string]*store.Agency{},
		memberships: map[string]*store.Membership{},
		decisions:   map[string]*store.Decision{},
	}
	for _, c := range ds.Countries {
		ix.countries[c.Code] = c
	}
	for _, g := range ds.Groupings {
		ix.groupings[g.Slug] = g
	}
	for _, m := range ds.Meetings {
		ix.meetings[m.Key] = m
	}
	for _, a := range ds.Agencies {
		ix.agencies[a.Country] = a
	}
	for _, m := range ds.Memberships {
		if _, dup := ix.memberships[m.Key]; dup {
			t.Errorf("membership %s built twice", m.Key)
		}
		ix.memberships[m.Key] = m
	}
	for _, d := range ds.Decisions {
		ix.decisions[d.Key] = d
	}
	return ix
}

// membersOf returns the memberships of a grouping by country.
func (ix *index) membersOf(grouping string) map[string]*store.Membership {
	out := map[string]*store.Membership{}
	for _, m := range ix.ds.Memberships {
		if m.Grouping == grouping {
			out[m.Country] = m
		}
	}
	return out
}

// testRaw is what the tests read from fealac.json beyond what Dataset decodes.
type testRaw struct {
	Countries []struct {
		ISO2      string  `json:"iso2"`
		AgencyURL *string `json:"smeAgencyUrl"`
		Groupings []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"groupings"`
	} `json:"countries"`
	Decisions []struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"decisions"`
	Agencies []struct {
		ID        string  `json:"id"`
		Candidate *string `json:"nameLocalCandidateUnverified"`
	} `json:"agencies"`
}

// readRaw decodes the fields of fealac.json that only the tests read.
func readRaw(t *testing.T) *testRaw {
	t.Helper()
	var r testRaw
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// str returns *p, or "<nil>" when p is nil.
func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func TestCounts(t *testing.T) {
	ix := build(t)
	na := 0
	for _, c := range ix.ds.Countries {
		if c.ListEntry == "NA" {
			na++
		}
	}
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"countries", len(ix.ds.Countries), 36},
		{"distinct countries", len(ix.countries), 36},
		{"east-asia memberships", len(ix.membersOf("east-asia")), 16},
		{"latin-america memberships", len(ix.membersOf("latin-america")), 20},
		{"fealac memberships", len(ix.membersOf("fealac")), 36},
		{"agencies", len(ix.ds.Agencies), 18},
		{"countries listed NA", na, 18},
		{"meetings", len(ix.ds.Meetings), 10},
		{"decisions", len(ix.ds.Decisions), 22},
		{"distinct decisions", len(ix.decisions), 22},
		{"groupings", len(ix.ds.Groupings), 16},
		{"distinct groupings", len(ix.groupings), 16},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.what, c.got, c.want)
		}
	}
}

func TestCountries(t *testing.T) {
	ix := build(t)
	au := ix.countries["AU"]
	if au.Alpha3 != "AUS" || au.Numeric != "036" || au.Region != "east-asia" || au.NameOfficial != "Commonwealth of Australia" {
		t.Errorf("AU = %+v", au)
	}
	kr := ix.countries["KR"]
	wantNames := []store.LocalizedText{{Lang: "en", Text: "Korea"}, {Lang: "es", Text: "Corea del Sur"}, {Lang: "pt", Text: "Coreia do Sul"}}
	if !reflect.DeepEqual(kr.Names, wantNames) || kr.NameISO != "Korea, Republic of" {
		t.Errorf("KR names = %v, ISO %q", kr.Names, kr.NameISO)
	}
	if got := ix.countries["BN"].NameVariants; !reflect.DeepEqual(got, []store.LocalizedText{{Lang: "es", Text: "Brunei"}}) {
		t.Errorf("BN variants = %v", got)
	}
	if got := ix.countries["MM"].NameVariants; !reflect.DeepEqual(got, []store.LocalizedText{{Lang: "es", Text: "Myanmar"}, {Lang: "pt", Text: "Myanmar"}}) {
		t.Errorf("MM variants = %v", got)
	}
	if got := ix.countries["PE"].Region; got != "latin-america" {
		t.Errorf("PE region = %q", got)
	}
	for _, c := range ix.ds.Countries {
		if len(c.Names) != 3 {
			t.Errorf("%s: %d names", c.Code, len(c.Names))
		}
		for _, v := range c.NameVariants {
			for _, n := range c.Names {
				if n == v {
					t.Errorf("%s: variant %v repeats a primary name", c.Code, v)
				}
			}
		}
		if len(c.Alpha3) != 3 || len(c.Numeric) != 3 {
			t.Errorf("%s: codes %q %q", c.Code, c.Alpha3, c.Numeric)
		}
	}
}

// briefOrder is the interconnectivity list of the SME center brief, in its order.
var briefOrder = []string{
	"Argentina", "Australia", "Bolivia", "Brazil", "Brunei", "Cambodia", "Chile", "China",
	"Colombia", "Costa Rica", "Cuba", "Dominican Republic", "Ecuador", "El Salvador",
	"Guatemala", "Honduras", "Indonesia", "Japan", "Korea", "Lao PDR", "Malaysia", "Mexico",
	"Mongolia", "Myanmar", "New Zealand", "Nicaragua", "Panama", "Paraguay", "Peru",
	"Philippines", "Singapore", "Suriname", "Thailand", "Uruguay", "Venezuela", "Vietnam",
}

func TestListPositions(t *testing.T) {
	ix := build(t)
	if !sort.StringsAreSorted(briefOrder) {
		t.Error("briefOrder is not alphabetical")
	}
	list, err := interconnectivityList(brief)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(briefOrder) {
		t.Fatalf("brief list has %d lines, want %d", len(list), len(briefOrder))
	}
	for i, l := range list {
		if l.name != briefOrder[i] {
			t.Errorf("brief line %d: %q, want %q", i+1, l.name, briefOrder[i])
		}
		if !strings.Contains(brief, l.name+" "+l.entry) {
			t.Errorf("brief has no line %q", l.name+" "+l.entry)
		}
	}
	seen := map[int]string{}
	for _, c := range ix.ds.Countries {
		p := c.ListPosition
		if p < 1 || p > 36 {
			t.Errorf("%s: position %d", c.Code, p)
			continue
		}
		if other, dup := seen[p]; dup {
			t.Errorf("%s and %s share position %d", c.Code, other, p)
		}
		seen[p] = c.Code
		if c.Names[0].Text != briefOrder[p-1] {
			t.Errorf("%s (%s): position %d is %s in the brief", c.Code, c.Names[0].Text, p, briefOrder[p-1])
		}
		if c.ListEntry != list[p-1].entry {
			t.Errorf("%s: entry %q, brief %q", c.Code, c.ListEntry, list[p-1].entry)
		}
	}
	if len(seen) != 36 {
		t.Errorf("%d distinct positions", len(seen))
	}
	for code, want := range map[string]int{"AR": 1, "KR": 19, "LA": 20, "PE": 29, "VN": 36} {
		if got := ix.countries[code].ListPosition; got != want {
			t.Errorf("%s position %d, want %d", code, got, want)
		}
	}
}

func TestInterconnectivityListErrors(t *testing.T) {
	if _, err := interconnectivityList("no heading here"); err == nil {
		t.Error("no heading: no error")
	}
	if _, err := interconnectivityList("Interconnectivity List\nArgentina\n"); err == nil {
		t.Error("line without entry: no error")
	}
}

func TestMeetings(t *testing.T) {
	ix := build(t)
	want := []struct {
		key, title, host, city string
		year                   int
		start, end             string
	}{
		{"FMM-1", "1st", "CL", "Santiago", 2001, "2001-03-29", "2001-03-30"},
		{"FMM-2", "2nd", "PH", "Manila", 2004, "2004-01-30", "2004-01-31"},
		{"FMM-3", "3rd", "BR", "Brasília", 2007, "2007-08-22", "2007-08-23"},
		{"FMM-4", "4th", "JP", "Tokyo", 2010, "2010-01-16", "2010-01-17"},
		{"FMM-5", "5th", "AR", "Buenos Aires", 2011, "2011-08-25", "2011-08-25"},
		{"FMM-6", "6th", "ID", "Nusa Dua, Bali", 2013, "2013-06-13", "2013-06-14"},
		{"FMM-7", "7th", "CR", "San José", 2015, "2015-08-21", "2015-08-21"},
		{"FMM-8", "8th", "KR", "Busan", 2017, "2017-08-31", "2017-08-31"},
		{"FMM-9", "9th", "DO", "Santo Domingo", 2019, "2019-11-09", "2019-11-09"},
		{"FMM-10", "10th", "MN", "Ulaanbaatar", 2025, "2025-08-22", "2025-08-22"},
	}
	if len(ix.ds.Meetings) != len(want) {
		t.Fatalf("%d meetings", len(ix.ds.Meetings))
	}
	for i, w := range want {
		m := ix.ds.Meetings[i]
		if m.Key != w.key || m.Number != i+1 || m.Host != w.host || m.City != w.city || m.Year != w.year ||
			str(m.StartDate) != w.start || str(m.EndDate) != w.end || m.Kind != store.MeetingFMM {
			t.Errorf("meeting %d = %+v (start %s end %s), want %+v", i+1, m, str(m.StartDate), str(m.EndDate), w)
		}
		if wantTitle := w.title + " FEALAC Foreign Ministers' Meeting"; m.Title != wantTitle {
			t.Errorf("%s title %q, want %q", m.Key, m.Title, wantTitle)
		}
	}
	if got := ix.meetings["FMM-1"].CoChairs; got == nil || len(got) != 0 {
		t.Errorf("FMM-1 co-chairs = %#v, want empty", got)
	}
	if got := ix.meetings["FMM-4"].CoChairs; !slices.Equal(got, []string{"JP", "AR"}) {
		t.Errorf("FMM-4 co-chairs = %v", got)
	}
	if ix.meetings["FMM-1"].Theme != nil || str(ix.meetings["FMM-7"].Theme) != "Two Regions, One Vision" {
		t.Error("meeting themes wrong")
	}
}

func TestOrdinal(t *testing.T) {
	for n, want := range map[int]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 10: "10th", 11: "11th",
		12: "12th", 13: "13th", 21: "21st", 22: "22nd", 23: "23rd", 101: "101st", 111: "111th"} {
		if got := ordinal(n); got != want {
			t.Errorf("ordinal(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestGroupings(t *testing.T) {
	ix := build(t)
	want := []struct {
		slug    string
		kind    store.GroupingKind
		acronym string
		parent  string
	}{
		{"fealac", store.GroupingForum, "FEALAC", "<nil>"},
		{"east-asia", store.GroupingRegion, "<nil>", "fealac"},
		{"latin-america", store.GroupingRegion, "<nil>", "fealac"},
		{"asean", store.GroupingTradeBloc, "ASEAN", "<nil>"},
		{"mercosur", store.GroupingTradeBloc, "MERCOSUR", "<nil>"},
		{"pacific-alliance", store.GroupingTradeBloc, "<nil>", "<nil>"},
		{"sica", store.GroupingTradeBloc, "SICA", "<nil>"},
		{"can", store.GroupingTradeBloc, "CAN", "<nil>"},
		{"apec", store.GroupingEconomicForum, "APEC", "<nil>"},
		{"wg-es", store.GroupingWorkingGroup, "<nil>", "fealac"},
		{"wg-pces", store.GroupingWorkingGroup, "PCES", "fealac"},
		{"wg-st", store.GroupingWorkingGroup, "ST", "fealac"},
		{"wg-spcsd", store.GroupingWorkingGroup, "<nil>", "fealac"},
		{"wg-titm", store.GroupingWorkingGroup, "TITM", "fealac"},
		{"wg-cygs", store.GroupingWorkingGroup, "CYGS", "fealac"},
		{"wg-stie", store.GroupingWorkingGroup, "<nil>", "fealac"},
	}
	if len(ix.ds.Groupings) != len(want) {
		t.Fatalf("%d groupings", len(ix.ds.Groupings))
	}
	for i, w := range want {
		g := ix.ds.Groupings[i]
		if g.Slug != w.slug || g.Kind != w.kind || str(g.Acronym) != w.acronym || str(g.Parent) != w.parent || g.Position != i+1 {
			t.Errorf("grouping %d = %s %s acronym %s parent %s position %d, want %+v",
				i+1, g.Slug, g.Kind, str(g.Acronym), str(g.Parent), g.Position, w)
		}
	}
	f := ix.groupings["fealac"]
	if len(f.Names) != 3 || f.Names[0].Text != "Forum for East Asia-Latin America Cooperation" || f.Note != nil {
		t.Errorf("fealac = %+v", f)
	}
	if ea := ix.groupings["east-asia"]; len(ea.Names) != 3 || ea.Names[1].Text != "Asia del Este" || ea.Note == nil {
		t.Errorf("east-asia = %+v", ea)
	}
	if pa := ix.groupings["pacific-alliance"]; len(pa.Names) != 2 || pa.Names[1] != (store.LocalizedText{Lang: "es", Text: "Alianza del Pacífico"}) {
		t.Errorf("pacific-alliance names = %v", pa.Names)
	}
	if m := ix.groupings["mercosur"]; len(m.Names) != 3 || m.Names[2].Text != "Mercado Comum do Sul (MERCOSUL)" {
		t.Errorf("mercosur names = %v", m.Names)
	}
	if es := ix.groupings["wg-es"]; !reflect.DeepEqual(es.Names, []store.LocalizedText{{Lang: "en", Text: "Economy and Society Working Group"}}) || es.Note == nil {
		t.Errorf("wg-es = %+v", es)
	}
	if ix.groupings["wg-cygs"].Note != nil {
		t.Error("wg-cygs has a note; the dataset has none")
	}
	// External members.
	if ext := ix.groupings["sica"].ExternalMembers; len(ext) != 1 || ext[0].Code != "BZ" || ext[0].Since != nil || len(ext[0].Sources) != 2 {
		t.Errorf("sica external = %+v", ext)
	}
	apec := ix.groupings["apec"]
	var codes []string
	for _, e := range apec.ExternalMembers {
		codes = append(codes, e.Code)
		if e.Since != nil || !reflect.DeepEqual(e.Sources, apec.Sources) {
			t.Errorf("apec external %s: since %s, sources %v", e.Code, str(e.Since), e.Sources)
		}
	}
	if !slices.Equal(codes, []string{"CA", "HK", "PG", "RU", "TW", "US"}) {
		t.Errorf("apec external = %v", codes)
	}
	for _, slug := range []string{"fealac", "east-asia", "mercosur", "pacific-alliance", "can", "wg-es"} {
		if ext := ix.groupings[slug].ExternalMembers; ext == nil || len(ext) != 0 {
			t.Errorf("%s external members = %#v, want empty", slug, ext)
		}
	}
}

func TestASEAN(t *testing.T) {
	ix := build(t)
	var got []string
	for code, m := range ix.membersOf("asean") {
		got = append(got, code)
		if m.Status != store.StatusMember || m.Since != nil || m.Until != nil {
			t.Errorf("asean %s = %+v", code, m)
		}
	}
	slices.Sort(got)
	want := []string{"BN", "ID", "KH", "LA", "MM", "MY", "PH", "SG", "TH", "VN"}
	if !slices.Equal(got, want) {
		t.Errorf("asean members %v, want %v", got, want)
	}
	ext := ix.groupings["asean"].ExternalMembers
	if len(ext) != 1 || ext[0].Code != "TL" || ext[0].Name != "Timor-Leste" || str(ext[0].Since) != "2025-10-26" || len(ext[0].Sources) != 3 {
		t.Errorf("asean external = %+v", ext)
	}
}

func TestMERCOSUR(t *testing.T) {
	ix := build(t)
	ms := ix.membersOf("mercosur")
	if len(ms) != 6 {
		t.Errorf("%d mercosur memberships", len(ms))
	}
	for _, code := range []string{"AR", "BR", "PY", "UY"} {
		m := ms[code]
		if m == nil || m.Status != store.StatusMember || m.Since != nil || m.Key != "mercosur/"+code+"/-" {
			t.Errorf("mercosur %s = %+v", code, m)
		}
	}
	bo := ix.memberships["mercosur/BO/2024-07-05"]
	if bo == nil || bo.Status != store.StatusMember || str(bo.Since) != "2024-07-05" || bo.Until != nil {
		t.Errorf("mercosur BO = %+v", bo)
	} else if len(bo.Sources) != 3 || bo.Sources[0].Title != "sonoticiasonline.com.br" {
		t.Errorf("mercosur BO sources = %v", bo.Sources)
	}
	// Venezuela was a full member until its suspension; the start is not given.
	if before := ix.memberships["mercosur/VE/-"]; before == nil || before.Status != store.StatusMember ||
		before.Since != nil || str(before.Until) != "2016-12-01" {
		t.Errorf("mercosur VE before the suspension = %+v", before)
	}
	ve := ix.memberships["mercosur/VE/2016-12-01"]
	if ve == nil || ve.Status != store.StatusSuspended || str(ve.Since) != "2016-12-01" || ve.Until != nil {
		t.Errorf("mercosur VE = %+v", ve)
	} else if len(ve.Sources) != 4 || ve.Sources[0].Title != "wikisum.wiki" {
		t.Errorf("mercosur VE sources = %v", ve.Sources)
	}
}

func TestBlocMembershipDates(t *testing.T) {
	ix := build(t)
	for _, m := range ix.ds.Memberships {
		if m.Until != nil && (m.Key != "mercosur/VE/-" || *m.Until != "2016-12-01" || m.Status != store.StatusMember) {
			t.Errorf("%s has an end date", m.Key)
		}
		if m.Since == nil || m.Grouping == "fealac" {
			continue
		}
		if m.Key != "mercosur/BO/2024-07-05" && m.Key != "mercosur/VE/2016-12-01" {
			t.Errorf("%s: unexpected start date %s", m.Key, *m.Since)
		}
	}
	// SICA members with a detail cite the detail's sources.
	if do := ix.memberships["sica/DO/-"]; do == nil || len(do.Sources) != 1 || do.Sources[0].Title != "simple.wikipedia.org" {
		t.Errorf("sica DO = %+v", do)
	}
	if cr := ix.memberships["sica/CR/-"]; cr == nil || !reflect.DeepEqual(cr.Sources, ix.groupings["sica"].Sources) {
		t.Errorf("sica CR = %+v", cr)
	}
	// CAN's former members (years only) are left out.
	if _, ok := ix.membersOf("can")["VE"]; ok {
		t.Error("can has VE")
	}
	if _, ok := ix.membersOf("can")["CL"]; ok {
		t.Error("can has CL")
	}
}

func TestSinceEvidence(t *testing.T) {
	if _, err := sinceOf("MERCOSUR", "BO", "joined some time"); err == nil {
		t.Error("a detail without the evidence gave no error")
	}
	if s, err := sinceOf("SICA", "DO", "anything"); err != nil || s != nil {
		t.Errorf("sinceOf without a table entry = %v, %v", s, err)
	}
}

func TestFealacMemberships(t *testing.T) {
	ix := build(t)
	admitted := map[string]string{"GT": "2004-01-30", "NI": "2004-01-30", "DO": "2007-08-22", "HN": "2011-08-25", "SR": "2011-08-25"}
	for code, c := range ix.countries {
		since, ok := admitted[code]
		key := "fealac/" + code + "/-"
		if ok {
			key = "fealac/" + code + "/" + since
		}
		m := ix.memberships[key]
		if m == nil {
			t.Errorf("no membership %s", key)
			continue
		}
		if m.Status != store.StatusMember || m.Grouping != "fealac" || m.Country != code || m.Until != nil {
			t.Errorf("%s = %+v", key, m)
		}
		if !ok && (m.Since != nil || !reflect.DeepEqual(m.Sources, c.Sources)) {
			t.Errorf("%s: since %s, sources not the country's", key, str(m.Since))
		}
	}
	hn := ix.memberships["fealac/HN/2011-08-25"]
	fmm5 := ix.meetings["FMM-5"]
	if hn == nil || len(hn.Sources) < len(fmm5.Sources) {
		t.Fatalf("fealac HN = %+v", hn)
	}
	if hn.Sources[0].Title != "murillodearagao.com.br" {
		t.Errorf("fealac HN sources start with %v, want the admission's", hn.Sources[0])
	}
	for _, s := range fmm5.Sources {
		if !slices.ContainsFunc(hn.Sources, func(h store.Source) bool { return reflect.DeepEqual(h, s) }) {
			t.Errorf("fealac HN lacks meeting source %v", s)
		}
	}
	for _, region := range []string{"east-asia", "latin-america"} {
		for code, m := range ix.membersOf(region) {
			if ix.countries[code].Region != region || m.Since != nil || m.Status != store.StatusMember ||
				!reflect.DeepEqual(m.Sources, ix.groupings[region].Sources) {
				t.Errorf("%s %s = %+v", region, code, m)
			}
		}
	}
}

// TestCountryGroupingsAgree checks each country's own groupings list in the JSON against the
// bloc and APEC memberships built from the groupings array.
func TestCountryGroupingsAgree(t *testing.T) {
	ix := build(t)
	slugOf := map[string]string{}
	for _, b := range blocs {
		slugOf[b.id] = b.slug
	}
	statusOf := map[string]store.MembershipStatus{
		"full member":    store.StatusMember,
		"member economy": store.StatusMember,
		"suspended":      store.StatusSuspended,
	}
	fromCountries := map[string]store.MembershipStatus{}
	for _, c := range readRaw(t).Countries {
		for _, g := range c.Groupings {
			slug, ok := slugOf[g.ID]
			if !ok {
				t.Errorf("%s: unknown grouping %s", c.ISO2, g.ID)
				continue
			}
			st, ok := statusOf[g.Status]
			if !ok {
				t.Errorf("%s: unknown status %q", c.ISO2, g.Status)
				continue
			}
			fromCountries[slug+"/"+c.ISO2] = st
		}
	}
	isBloc := map[string]bool{}
	for _, slug := range slugOf {
		isBloc[slug] = true
	}
	built := map[string]store.MembershipStatus{}
	for _, m := range ix.ds.Memberships {
		if !isBloc[m.Grouping] {
			continue // fealac, regions
		}
		built[m.Grouping+"/"+m.Country] = m.Status
	}
	if !reflect.DeepEqual(fromCountries, built) {
		for k, v := range fromCountries {
			if built[k] != v {
				t.Errorf("%s: countries say %s, memberships %s", k, v, built[k])
			}
		}
		for k, v := range built {
			if _, ok := fromCountries[k]; !ok {
				t.Errorf("%s: membership %s not in the country's groupings", k, v)
			}
		}
	}
}

func TestDecisions(t *testing.T) {
	ix := build(t)
	for i, d := range ix.ds.Decisions {
		if d.Seq != i+1 {
			t.Errorf("%s seq %d, want %d", d.Key, d.Seq, i+1)
		}
		if _, ok := ix.meetings[d.Meeting]; !ok {
			t.Errorf("%s: unknown meeting %s", d.Key, d.Meeting)
		}
		if d.Summary != nil {
			t.Errorf("%s has a summary", d.Key)
		}
		if len(d.Titles) == 0 || d.Titles[0].Lang != "en" {
			t.Errorf("%s titles %v", d.Key, d.Titles)
		}
		if i > 0 && ix.meetings[d.Meeting].Number < ix.meetings[ix.ds.Decisions[i-1].Meeting].Number {
			t.Errorf("%s is out of meeting order", d.Key)
		}
		for _, c := range d.Countries {
			if _, ok := ix.countries[c]; !ok {
				t.Errorf("%s: unknown country %s", d.Key, c)
			}
		}
	}
	if ix.ds.Decisions[0].Key != "D-FMM1-FRAMEWORK" || ix.ds.Decisions[1].Key != "D-FMM1-WG-ES" {
		t.Errorf("first decisions %s, %s", ix.ds.Decisions[0].Key, ix.ds.Decisions[1].Key)
	}
	wantCountries := map[string][]string{
		"D-FMM2-ADMISSION":  {"GT", "NI"},
		"D-FMM3-ADMISSION":  {"DO"},
		"D-FMM5-ADMISSION":  {"HN", "SR"},
		"D-FMM4-CYBERSEC":   {"KR"},
		"D-FMM6-SME-CENTER": {"EC"},
	}
	for _, d := range ix.ds.Decisions {
		want := wantCountries[d.Key]
		if want == nil {
			want = []string{}
		}
		if !reflect.DeepEqual(d.Countries, want) {
			t.Errorf("%s countries %v, want %v", d.Key, d.Countries, want)
		}
		// A named country appears in the English title by its brief name (Korea, Ecuador, ...).
		for _, c := range d.Countries {
			if !strings.Contains(d.Titles[0].Text, ix.countries[c].Names[0].Text) {
				t.Errorf("%s names %s, title %q does not", d.Key, c, d.Titles[0].Text)
			}
		}
		wantKind := map[string]store.DecisionKind{
			"D-FMM1-FRAMEWORK": store.DecisionFramework, "D-FMM2-MANILA-POA": store.DecisionPlan,
			"D-FMM2-ADMISSION": store.DecisionAdmission, "D-FMM3-SME": store.DecisionDecision,
			"D-FMM6-SME-CENTER": store.DecisionDecision, "D-FMM4-CYBERSEC": store.DecisionInstitutional,
			"D-FMM10-ULAANBAATAR": store.DecisionDeclaration, "D-FMM1-WG-ES": store.DecisionInstitutional,
		}[d.Key]
		if wantKind != "" && d.Kind != wantKind {
			t.Errorf("%s kind %s, want %s", d.Key, d.Kind, wantKind)
		}
		sme := d.Key == "D-FMM3-SME" || d.Key == "D-FMM4-SME-CENTER" || d.Key == "D-FMM6-SME-CENTER" || d.Key == "D-FMM1-WG-ES"
		if sme != slices.Equal(d.Topics, []string{"sme"}) || (!sme && len(d.Topics) != 0) {
			t.Errorf("%s topics %v", d.Key, d.Topics)
		}
	}
	if ba := ix.decisions["D-FMM5-BA"]; len(ba.Titles) != 2 || ba.Titles[1] != (store.LocalizedText{Lang: "es", Text: "Declaración conjunta (Buenos Aires)"}) {
		t.Errorf("D-FMM5-BA titles %v", ba.Titles)
	}
	if ix.decisions["D-FMM1-FRAMEWORK"].Note == nil || ix.decisions["D-FMM2-MANILA-POA"].Note != nil {
		t.Error("decision notes not taken from the dataset")
	}
}

func TestDecisionTypesMapped(t *testing.T) {
	for _, d := range readRaw(t).Decisions {
		if _, ok := decisionKind(d.Type); !ok {
			t.Errorf("%s: type %q is not mapped", d.ID, d.Type)
		}
	}
	if k, ok := decisionKind("something new"); ok || k != store.DecisionOther {
		t.Errorf("unmapped type gives %s, %v", k, ok)
	}
}

// TestBriefFacts checks the four SME facts of the brief.
func TestBriefFacts(t *testing.T) {
	ix := build(t)
	check := func(key, title, meeting, city string, year int) *store.Decision {
		t.Helper()
		d := ix.decisions[key]
		if d == nil {
			t.Errorf("no decision %s", key)
			return nil
		}
		m := ix.meetings[d.Meeting]
		if d.Meeting != meeting || m.City != city || m.Year != year || d.Titles[0].Text != title {
			t.Errorf("%s: %q at %s (%s, %d)", key, d.Titles[0].Text, d.Meeting, m.City, m.Year)
		}
		return d
	}
	if d := check("D-FMM1-WG-ES", "Establishment of the Economy and Society Working Group", "FMM-1", "Santiago", 2001); d != nil {
		if !slices.Equal(d.Groupings, []string{"wg-es"}) || len(d.Countries) != 0 || d.Note == nil ||
			!reflect.DeepEqual(d.Sources, ix.groupings["wg-es"].Sources) {
			t.Errorf("D-FMM1-WG-ES = %+v", d)
		}
	}
	check("D-FMM3-SME", "Decision on Small and Medium Enterprise", "FMM-3", "Brasília", 2007)
	check("D-FMM4-SME-CENTER", "Decision on the Bi-Regional Center for the Development of Small and Medium Enterprises", "FMM-4", "Tokyo", 2010)
	if d := check("D-FMM6-SME-CENTER", "Approval of Ecuador's feasibility study for the Bi-Regional Center for the Development of SMEs", "FMM-6", "Nusa Dua, Bali", 2013); d != nil {
		if !slices.Equal(d.Countries, []string{"EC"}) {
			t.Errorf("D-FMM6-SME-CENTER countries %v", d.Countries)
		}
	}
	if ix.ds.Decisions[1].Sources[0].Title != "FEALAC SME center brief" || ix.ds.Decisions[1].Sources[0].URL != nil {
		t.Errorf("WG-ES decision's first source %v", ix.ds.Decisions[1].Sources[0])
	}
}

func TestAgencies(t *testing.T) {
	ix := build(t)
	if pe := ix.agencies["PE"]; pe == nil || str(pe.URL) != "http://www.produce.gob.pe/index.php/ministerio/sector-mype-e-industria" || pe.Key != "AG-PE" {
		t.Errorf("PE agency = %+v", pe)
	}
	if jp := ix.agencies["JP"]; jp != nil {
		t.Errorf("JP has an agency: %+v", jp)
	}
	if got := str(ix.agencies["CO"].URL); got != "http://www.mincit.gov.co" {
		t.Errorf("CO URL %q", got)
	}
	if got := str(ix.agencies["DO"].URL); got != "http://www.micm.gob.do" {
		t.Errorf("DO URL %q", got)
	}
	for _, c := range ix.ds.Countries {
		a := ix.agencies[c.Code]
		if c.ListEntry == "NA" {
			if a != nil {
				t.Errorf("%s is NA but has agency %s", c.Code, a.Key)
			}
			continue
		}
		if a == nil {
			t.Errorf("%s lists %q but has no agency", c.Code, c.ListEntry)
			continue
		}
		want, err := store.NormaliseURL(c.ListEntry)
		if err != nil || str(a.URL) != want {
			t.Errorf("%s: URL %s, list entry normalises to %q (%v)", a.Key, str(a.URL), want, err)
		}
		if a.Key != "AG-"+c.Code {
			t.Errorf("%s key for %s", a.Key, c.Code)
		}
	}
	// Cross-check with the countries' own agency fields.
	for _, c := range readRaw(t).Countries {
		a := ix.agencies[c.ISO2]
		if (a == nil) != (c.AgencyURL == nil) {
			t.Errorf("%s: agency %v, smeAgencyUrl %s", c.ISO2, a != nil, str(c.AgencyURL))
		}
	}
	wantNames := map[string][]store.LocalizedText{
		"AR": {},
		"AU": {{Lang: "en", Text: "Department of Jobs and Small Business"}},
		"SG": {{Lang: "en", Text: "Enterprise Singapore"}},
		"KR": {{Lang: "en", Text: "Ministry of SMEs and Startups"}},
		"NZ": {{Lang: "en", Text: "Ministry of Business, Innovation and Employment"}, {Lang: "mi", Text: "Hīkina Whakatutuki"}},
		"CO": {{Lang: "en", Text: "Ministry of Commerce, Industry and Tourism"}, {Lang: "es", Text: "Ministerio de Comercio, Industria y Turismo"}},
	}
	for code, want := range wantNames {
		if got := ix.agencies[code].Names; !reflect.DeepEqual(got, want) {
			t.Errorf("%s names %#v, want %#v", code, got, want)
		}
	}
	if ix.agencies["AR"].Acronym != nil || str(ix.agencies["MY"].Acronym) != "MEDAC" {
		t.Error("agency acronyms wrong")
	}
}

func TestAgencyKinds(t *testing.T) {
	ix := build(t)
	if len(agencyKinds) != 18 {
		t.Errorf("agencyKinds has %d entries", len(agencyKinds))
	}
	for _, a := range ix.ds.Agencies {
		want, ok := agencyKinds[a.Country]
		if !ok {
			t.Errorf("%s: not in agencyKinds", a.Key)
		}
		if a.Kind != want {
			t.Errorf("%s kind %s, want %s", a.Key, a.Kind, want)
		}
	}
	for code, want := range map[string]store.AgencyKind{
		"LA": store.AgencyChamber, "SG": store.AgencyAgency, "SV": store.AgencyAgency, "AR": store.AgencyOther,
	} {
		if got := ix.agencies[code].Kind; got != want {
			t.Errorf("%s kind %s, want %s", code, got, want)
		}
	}
	for _, a := range ix.ds.Agencies {
		if a.Kind != store.AgencyMinistry {
			continue
		}
		en := a.Names[0].Text
		if !strings.Contains(en, "Ministry") && !strings.Contains(en, "Department") && !strings.Contains(en, "Secretariat") {
			t.Errorf("%s is a ministry but named %q", a.Key, en)
		}
	}
}

// TestNoUnverifiedCandidates checks that no nameLocalCandidateUnverified value reaches any
// document.
func TestNoUnverifiedCandidates(t *testing.T) {
	ix := build(t)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ix.ds); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range readRaw(t).Agencies {
		if a.Candidate == nil {
			continue
		}
		n++
		for _, s := range []string{*a.Candidate, strings.TrimSpace(strings.Split(*a.Candidate, "(")[0])} {
			if strings.Contains(buf.String(), s) {
				t.Errorf("%s: unverified candidate %q is in the dataset", a.ID, s)
			}
		}
	}
	if n != 3 {
		t.Errorf("%d candidates in the JSON, want 3 (CN, KR, MY)", n)
	}
}

func TestNormaliseURL(t *testing.T) {
	for in, want := range map[string]string{
		"www.mincit.gov.co":                       "http://www.mincit.gov.co",
		"https://www.meic.go.cr/":                 "https://www.meic.go.cr/",
		"http://lncci.la/sme-promotion-facility/": "http://lncci.la/sme-promotion-facility/",
	} {
		if got, err := store.NormaliseURL(in); err != nil || got != want {
			t.Errorf("store.NormaliseURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "http://", "https:///path", "www.exa mple.com", "http://%zz"} {
		if got, err := store.NormaliseURL(bad); err == nil {
			t.Errorf("store.NormaliseURL(%q) = %q, want an error", bad, got)
		}
	}
}

func TestSources(t *testing.T) {
	got, err := sources(
		[]string{"https://www.mofa.go.jp/region/latin/fealac/dec0708.html", "FEALAC SME center brief"},
		[]string{"FEALAC SME center brief", "http://example.org:8080/x", "https://www.mofa.go.jp/region/latin/fealac/dec0708.html"},
	)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Source{
		{Title: "www.mofa.go.jp", URL: new("https://www.mofa.go.jp/region/latin/fealac/dec0708.html")},
		{Title: "FEALAC SME center brief"},
		{Title: "example.org:8080", URL: new("http://example.org:8080/x")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sources = %+v, want %+v", got, want)
	}
	if got, err := sources(); err != nil || got == nil || len(got) != 0 {
		t.Errorf("sources() = %#v, %v", got, err)
	}
	if _, err := sources([]string{"https:///nohost"}); err == nil {
		t.Error("source without host: no error")
	}
}

// forEachDocument calls f with every document of ds and a name for it.
func forEachDocument(ds *store.Dataset, f func(name string, doc any)) {
	for _, d := range ds.Countries {
		f("country "+d.Code, d)
	}
	for _, d := range ds.Groupings {
		f("grouping "+d.Slug, d)
	}
	for _, d := range ds.Meetings {
		f("meeting "+d.Key, d)
	}
	for _, d := range ds.Agencies {
		f("agency "+d.Key, d)
	}
	for _, d := range ds.Memberships {
		f("membership "+d.Key, d)
	}
	for _, d := range ds.Decisions {
		f("decision "+d.Key, d)
	}
}

func TestEveryDocumentHasSources(t *testing.T) {
	ix := build(t)
	forEachDocument(ix.ds, func(name string, doc any) {
		srcs := reflect.ValueOf(doc).Elem().FieldByName("Sources").Interface().([]store.Source)
		if len(srcs) == 0 {
			t.Errorf("%s has no sources", name)
		}
		for _, s := range srcs {
			if s.Title == "" || (s.URL != nil && !strings.HasPrefix(*s.URL, "http")) {
				t.Errorf("%s: bad source %+v", name, s)
			}
		}
	})
	for _, g := range ix.ds.Groupings {
		for _, e := range g.ExternalMembers {
			if len(e.Sources) == 0 {
				t.Errorf("grouping %s, external %s has no sources", g.Slug, e.Code)
			}
		}
	}
}

// nilSlices returns the paths of nil slices reachable from v through exported fields. The
// fields the store derives on write (Derived, NameKeys) are the store's, not the seed's.
func nilSlices(path string, v reflect.Value) []string {
	var out []string
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			out = append(out, nilSlices(path, v.Elem())...)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() && f.Name != "Derived" && f.Name != "NameKeys" {
				out = append(out, nilSlices(path+"."+f.Name, v.Field(i))...)
			}
		}
	case reflect.Slice:
		if v.IsNil() {
			return []string{path}
		}
		for i := range v.Len() {
			out = append(out, nilSlices(fmt.Sprintf("%s[%d]", path, i), v.Index(i))...)
		}
	}
	return out
}

func TestNoNilSlices(t *testing.T) {
	ix := build(t)
	forEachDocument(ix.ds, func(name string, doc any) {
		for _, p := range nilSlices(name, reflect.ValueOf(doc)) {
			t.Errorf("nil slice at %s", p)
		}
	})
	// The check itself finds a nil slice.
	if got := nilSlices("x", reflect.ValueOf(&store.Meeting{})); len(got) == 0 {
		t.Error("nilSlices missed the nil slices of an empty meeting")
	}
}

// TestBSONRoundTrip checks that every document marshals to the same BSON after a round trip
// through the database representation, which idempotent seeding relies on.
func TestBSONRoundTrip(t *testing.T) {
	ix := build(t)
	forEachDocument(ix.ds, func(name string, doc any) {
		b1, err := bson.Marshal(doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		back := reflect.New(reflect.TypeOf(doc).Elem()).Interface()
		if err := bson.Unmarshal(b1, back); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b2, err := bson.Marshal(back)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(b1, b2) {
			t.Errorf("%s: BSON changes in a round trip", name)
		}
	})
}

func TestDeterministic(t *testing.T) {
	a, err := Dataset()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Dataset()
	if err != nil {
		t.Fatal(err)
	}
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ja, jb) {
		t.Error("two calls of Dataset differ")
	}
	// The calls share no memory: changing one leaves the other alone.
	*a.Agencies[0].URL = "changed"
	a.Countries[0].Names[0].Text = "changed"
	c, err := Dataset()
	if err != nil {
		t.Fatal(err)
	}
	if jc, _ := json.Marshal(c); !bytes.Equal(jc, jb) {
		t.Error("changing one dataset changed the next")
	}
	forEachDocument(a, func(name string, doc any) {
		rev := reflect.ValueOf(doc).Elem().FieldByName("Revision").Interface().(store.Revision)
		if rev != (store.Revision{}) {
			t.Errorf("%s has a revision %+v", name, rev)
		}
	})
}

// TestDatasetErrors checks that Dataset refuses a dataset that breaks its checks.
func TestDatasetErrors(t *testing.T) {
	orig := raw
	t.Cleanup(func() { raw = orig })
	for _, c := range []struct{ name, old, new string }{
		{"agency URL differs from the list", `"url": "www.mincit.gov.co"`, `"url": "www.other.gov.co"`},
		{"member detail no longer states the date", "Formally incorporated on Friday 5 July 2024", "Formally incorporated in 2024"},
		{"decision of an unknown meeting", `"meetingId": "FMM-3"`, `"meetingId": "FMM-99"`},
		{"meeting host not a country", `"hostCountry": "CL"`, `"hostCountry": "XX"`},
		{"admission at an unknown meeting", `"meeting": 3,`, `"meeting": 33,`},
		{"agency URL not a URL", `"url": "https://www.meic.go.cr/"`, `"url": "https:///"`},
		{"decision type unmapped", `"type": "framework"`, `"type": "frameworks"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !bytes.Contains(orig, []byte(c.old)) {
				t.Fatalf("fealac.json has no %q", c.old)
			}
			raw = bytes.Replace(orig, []byte(c.old), []byte(c.new), 1)
			ds, err := Dataset()
			if c.name == "decision type unmapped" {
				// An unmapped type is stored as OTHER; TestDecisionTypesMapped guards the data.
				if err != nil || ds.Decisions[0].Kind != store.DecisionOther {
					t.Errorf("got %v, kind %v", err, ds.Decisions[0].Kind)
				}
				return
			}
			if err == nil {
				t.Error("no error")
			} else {
				t.Log(err)
			}
		})
	}
}
