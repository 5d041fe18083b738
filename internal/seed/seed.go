// Package seed builds the reference documents of smegraph (countries, groupings, memberships,
// meetings, decisions and SME agencies) from the FEALAC dataset embedded in the binary, and
// loads them into a store.
//
// The dataset, fealac.json, was assembled by hand from the sources cited for each item; every
// document keeps those citations in its Sources. A JSON null means the fact was not verified
// from a source, and it stays unset (a nil pointer or an empty slice) here: nothing is filled
// in from memory. NOTES.md beside the dataset lists its gaps and uncertainties, and
// sme-center-brief.txt is the SME center brief whose interconnectivity list gives each
// country's list position and agency address.
//
// URL normalisation: an agency's URL is the address from the interconnectivity list. If it
// already starts with "http://" or "https://" it is kept unchanged; otherwise "http://" is
// prefixed (the brief writes "www.mincit.gov.co", stored as "http://www.mincit.gov.co"). The
// result must be an absolute URL with a host.
package seed

import (
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fealac/smegraph/internal/store"
)

// raw is the FEALAC dataset, fealac.json.
//
//go:embed fealac.json
var raw []byte

// brief is the SME center brief, whose interconnectivity list orders the countries.
//
//go:embed sme-center-brief.txt
var brief string

// Dataset builds every reference document from the embedded FEALAC dataset. Deterministic: no
// clock, same output each call. Revision fields left zero.
func Dataset() (*store.Dataset, error) {
	var d rawData
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("seed: decode fealac.json: %w", err)
	}
	b := &builder{d: &d, ds: &store.Dataset{}}
	steps := []func() error{
		b.countries, b.groupings, b.meetings, b.memberships, b.decisions, b.agencies,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
	}
	return b.ds, nil
}

// Load applies Dataset() to s with s.Apply(ctx, ds, now) and returns its results.
func Load(ctx context.Context, s *store.Store, now time.Time) ([]store.ApplyResult, error) {
	ds, err := Dataset()
	if err != nil {
		return nil, err
	}
	return s.Apply(ctx, ds, now)
}

// rawData is the part of fealac.json that the seed uses.
type rawData struct {
	Forum         rawForum          `json:"forum"`
	Regions       []rawRegion       `json:"regions"`
	Countries     []rawCountry      `json:"countries"`
	Groupings     []rawGrouping     `json:"groupings"`
	Meetings      []rawMeeting      `json:"meetings"`
	Decisions     []rawDecision     `json:"decisions"`
	Agencies      []rawAgency       `json:"agencies"`
	WorkingGroups []rawWorkingGroup `json:"workingGroups"`
}

// rawForum is the forum object: FEALAC itself.
type rawForum struct {
	Name    string   `json:"name"`
	NameEs  *string  `json:"nameEs"`
	NamePt  *string  `json:"namePt"`
	Sources []string `json:"sources"`
}

// rawRegion is one of the two FEALAC regions.
type rawRegion struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	NameEs  *string  `json:"nameEs"`
	NamePt  *string  `json:"namePt"`
	Members []string `json:"members"`
	Note    *string  `json:"note"`
	Sources []string `json:"sources"`
}

// rawCountry is a FEALAC member country.
type rawCountry struct {
	ISO2            string        `json:"iso2"`
	ISO3            string        `json:"iso3"`
	ISONumeric      string        `json:"isoNumeric"`
	NameISOShort    string        `json:"nameIsoShort"`
	NameOfficial    string        `json:"nameOfficial"`
	NameFealac      string        `json:"nameFealac"`
	NameEs          *string       `json:"nameEs"`
	NameEsVariants  []string      `json:"nameEsVariants"`
	NamePt          *string       `json:"namePt"`
	NamePtVariants  []string      `json:"namePtVariants"`
	Region          string        `json:"region"`
	FealacAdmission *rawAdmission `json:"fealacAdmission"`
	ListEntry       string        `json:"interconnectivityListEntry"`
	Sources         []string      `json:"sources"`
}

// rawAdmission is the FMM at which a country was admitted to FEALAC, where a source gives it.
type rawAdmission struct {
	Meeting int      `json:"meeting"`
	Sources []string `json:"sources"`
}

// rawGrouping is a trade bloc or APEC.
type rawGrouping struct {
	ID                   string              `json:"id"`
	Name                 string              `json:"name"`
	NameEs               *string             `json:"nameEs"`
	NamePt               *string             `json:"namePt"`
	FullMembersFealac    []string            `json:"fullMembersFealac"`
	FullMembersNonFealac []rawExternalMember `json:"fullMembersNonFealac"`
	SuspendedMembers     []rawMemberDetail   `json:"suspendedMembers"`
	MemberDetails        []rawMemberDetail   `json:"memberDetails"`
	Note                 *string             `json:"note"`
	Sources              []string            `json:"sources"`
}

// rawExternalMember is a member of a grouping that is not a FEALAC country.
type rawExternalMember struct {
	ISO2    string   `json:"iso2"`
	Name    string   `json:"name"`
	Since   *string  `json:"since"`
	Sources []string `json:"sources"`
}

// rawMemberDetail is a sourced remark on one member of a grouping.
type rawMemberDetail struct {
	ISO2    string   `json:"iso2"`
	Detail  string   `json:"detail"`
	Sources []string `json:"sources"`
}

// rawMeeting is a Foreign Ministers' Meeting.
type rawMeeting struct {
	ID          string   `json:"id"`
	Number      int      `json:"number"`
	City        string   `json:"city"`
	HostCountry string   `json:"hostCountry"`
	Year        int      `json:"year"`
	StartDate   *string  `json:"startDate"`
	EndDate     *string  `json:"endDate"`
	DateBasis   string   `json:"dateBasis"`
	Theme       *string  `json:"theme"`
	CoChairs    []string `json:"coChairs"`
	Sources     []string `json:"sources"`
}

// rawDecision is a declaration, plan or decision of a meeting.
type rawDecision struct {
	ID        string   `json:"id"`
	MeetingID string   `json:"meetingId"`
	Name      string   `json:"name"`
	NameEs    *string  `json:"nameEs"`
	Type      string   `json:"type"`
	Subject   *string  `json:"subject"`
	Note      *string  `json:"note"`
	Sources   []string `json:"sources"`
}

// rawAgency is an SME agency of the interconnectivity list. Its nameLocalCandidateUnverified
// is deliberately not decoded: it is unsourced and must never be shown as fact.
type rawAgency struct {
	ID                  string   `json:"id"`
	Country             string   `json:"country"`
	URL                 string   `json:"url"`
	NameEn              *string  `json:"nameEn"`
	Acronym             *string  `json:"acronym"`
	NameLocal           *string  `json:"nameLocal"`
	NameLocalLanguage   *string  `json:"nameLocalLanguage"`
	IdentificationBasis string   `json:"identificationBasis"`
	Sources             []string `json:"sources"`
}

// rawWorkingGroup is a FEALAC working group.
type rawWorkingGroup struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Acronym *string  `json:"acronym"`
	Note    *string  `json:"note"`
	Sources []string `json:"sources"`
}

// regionSpec maps a FEALAC region ID to its grouping.
type regionSpec struct {
	id, slug string
	position int
}

// regions are the two FEALAC regions, in display order after the forum.
var regions = []regionSpec{
	{"EAST_ASIA", "east-asia", 2},
	{"LATIN_AMERICA", "latin-america", 3},
}

// blocSpec maps a grouping ID of the dataset to its stored grouping.
type blocSpec struct {
	id, slug string
	kind     store.GroupingKind
	acronym  *string
}

// blocs are the trade blocs and APEC, in display order (positions 4 to 9). The Pacific
// Alliance has no acronym in common use.
var blocs = []blocSpec{
	{"ASEAN", "asean", store.GroupingTradeBloc, new("ASEAN")},
	{"MERCOSUR", "mercosur", store.GroupingTradeBloc, new("MERCOSUR")},
	{"PACIFIC_ALLIANCE", "pacific-alliance", store.GroupingTradeBloc, nil},
	{"SICA", "sica", store.GroupingTradeBloc, new("SICA")},
	{"CAN", "can", store.GroupingTradeBloc, new("CAN")},
	{"APEC", "apec", store.GroupingEconomicForum, new("APEC")},
}

// firstBlocPosition is the display position of the first bloc; the working groups follow the
// last one.
const firstBlocPosition = 4

// memberSince gives the start date of a bloc membership where a member detail of the dataset
// states a full date. evidence must occur in that detail's text, so that a changed detail is
// noticed instead of silently keeping a stale date. No other dates are given: APEC's join
// years and CAN's former members have years only.
var memberSince = []struct {
	grouping, country, since, evidence string
}{
	{"MERCOSUR", "BO", "2024-07-05", "Formally incorporated on Friday 5 July 2024"},
	{"MERCOSUR", "VE", "2016-12-01", "Suspended on 1 Dec 2016"},
}

// decisionKinds maps a decision's type in the dataset to its kind.
var decisionKinds = map[string]store.DecisionKind{
	"declaration":      store.DecisionDeclaration,
	"decision":         store.DecisionDecision,
	"plan of action":   store.DecisionPlan,
	"framework":        store.DecisionFramework,
	"membership":       store.DecisionAdmission,
	"institutional":    store.DecisionInstitutional,
	"project approval": store.DecisionDecision,
}

// decisionKind returns the kind of a decision type, and false (with DecisionOther) for a type
// that decisionKinds does not map.
func decisionKind(typ string) (store.DecisionKind, bool) {
	k, ok := decisionKinds[typ]
	if !ok {
		return store.DecisionOther, false
	}
	return k, true
}

// decisionCountries are the countries that non-admission decisions name in their titles.
// Admission decisions get theirs from the countries' fealacAdmission.
var decisionCountries = map[string][]string{
	"D-FMM4-CYBERSEC":   {"KR"}, // "Republic of Korea to host the FEALAC Cyber Secretariat"
	"D-FMM6-SME-CENTER": {"EC"}, // "Approval of Ecuador's feasibility study ..."
}

// wgDecision is the one decision that is not in the dataset's decisions array: the SME center
// brief states that the Economy and Society Working Group was established at the 1st FMM. It
// is inserted right after afterDecision.
var wgDecision = struct {
	key, meeting, title, workingGroup, note, afterDecision string
}{
	key:          "D-FMM1-WG-ES",
	meeting:      "FMM-1",
	title:        "Establishment of the Economy and Society Working Group",
	workingGroup: "WG-ES",
	note: "The SME center brief: the Economy and Society Working Group was established at " +
		"the 1st Foreign Ministers' Meeting (Santiago, 2001) to strengthen cooperation in SMEs.",
	afterDecision: "D-FMM1-FRAMEWORK",
}

// agencyKinds classifies each agency by its country, from the body the dataset names.
var agencyKinds = map[string]store.AgencyKind{
	"AR": store.AgencyOther,    // no body named: the address is a section of the national portal argentina.gob.ar
	"AU": store.AgencyMinistry, // Department of Jobs and Small Business, a government department
	"KH": store.AgencyMinistry, // Ministry of Industry and Handicraft
	"CN": store.AgencyMinistry, // Ministry of Industry and Information Technology
	"CO": store.AgencyMinistry, // Ministry of Commerce, Industry and Tourism
	"CR": store.AgencyMinistry, // Ministry of Economy, Industry and Commerce
	"DO": store.AgencyMinistry, // Ministry of Industry, Commerce and MSMEs
	// SV: CONAMYPE, the National Commission for Micro and Small Enterprise, is a national
	// commission, not a ministry; the data reports it as an autonomous public-law institution.
	"SV": store.AgencyAgency,
	"ID": store.AgencyMinistry, // Ministry of Cooperatives and Small and Medium Enterprises
	"KR": store.AgencyMinistry, // Ministry of SMEs and Startups
	"LA": store.AgencyChamber,  // Lao National Chamber of Commerce and Industry, a chamber of commerce per the data
	"MY": store.AgencyMinistry, // Ministry of Entrepreneur Development and Cooperatives
	"MX": store.AgencyMinistry, // Ministry of Economy (Secretaría de Economía)
	"MM": store.AgencyMinistry, // Ministry of Commerce
	"NZ": store.AgencyMinistry, // Ministry of Business, Innovation and Employment
	"PY": store.AgencyMinistry, // Vice-Ministry of MSMEs of the Ministry of Industry and Commerce
	"PE": store.AgencyMinistry, // Ministry of Production (Vice-Ministry of MSEs and Industry)
	"SG": store.AgencyAgency,   // Enterprise Singapore, a statutory board under the Ministry of Trade and Industry
}

// builder carries the decoded dataset and the documents built so far.
type builder struct {
	d  *rawData
	ds *store.Dataset

	countryByCode map[string]*rawCountry
	meetingByID   map[string]*rawMeeting
	meetingByNum  map[int]*rawMeeting
	wgByID        map[string]*rawWorkingGroup
}

// listLine is one line of the brief's interconnectivity list.
type listLine struct {
	name, entry string
}

// interconnectivityList parses the lines after the "Interconnectivity List" heading of the
// brief: "<name> <entry>", the entry being the last space-separated field.
func interconnectivityList(text string) ([]listLine, error) {
	_, rest, ok := strings.Cut(text, "Interconnectivity List\n")
	if !ok {
		return nil, fmt.Errorf("brief: no Interconnectivity List heading")
	}
	var lines []listLine
	for l := range strings.Lines(rest) {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		if i <= 0 {
			return nil, fmt.Errorf("brief: list line %q is not \"<name> <entry>\"", l)
		}
		lines = append(lines, listLine{name: l[:i], entry: l[i+1:]})
	}
	return lines, nil
}

// countries builds the country documents and the lookups the later steps use.
func (b *builder) countries() error {
	list, err := interconnectivityList(brief)
	if err != nil {
		return err
	}
	if len(list) != len(b.d.Countries) {
		return fmt.Errorf("brief lists %d countries, the dataset has %d", len(list), len(b.d.Countries))
	}
	position := make(map[string]int, len(list))
	entryOf := make(map[string]string, len(list))
	for i, l := range list {
		if _, dup := position[l.name]; dup {
			return fmt.Errorf("brief lists %q twice", l.name)
		}
		position[l.name] = i + 1
		entryOf[l.name] = l.entry
	}

	regionSlug := make(map[string]string, len(regions))
	for _, r := range regions {
		regionSlug[r.id] = r.slug
	}

	b.countryByCode = make(map[string]*rawCountry, len(b.d.Countries))
	b.ds.Countries = make([]*store.Country, 0, len(b.d.Countries))
	for i := range b.d.Countries {
		c := &b.d.Countries[i]
		if _, dup := b.countryByCode[c.ISO2]; dup {
			return fmt.Errorf("country %s: listed twice", c.ISO2)
		}
		b.countryByCode[c.ISO2] = c
		pos, ok := position[c.NameFealac]
		if !ok {
			return fmt.Errorf("country %s: %q is not on the brief's interconnectivity list", c.ISO2, c.NameFealac)
		}
		if entryOf[c.NameFealac] != c.ListEntry {
			return fmt.Errorf("country %s: list entry %q, the brief has %q", c.ISO2, c.ListEntry, entryOf[c.NameFealac])
		}
		region, ok := regionSlug[c.Region]
		if !ok {
			return fmt.Errorf("country %s: unknown region %q", c.ISO2, c.Region)
		}
		srcs, err := sources(c.Sources)
		if err != nil {
			return fmt.Errorf("country %s: %w", c.ISO2, err)
		}
		b.ds.Countries = append(b.ds.Countries, &store.Country{
			Code:         c.ISO2,
			Alpha3:       c.ISO3,
			Numeric:      c.ISONumeric,
			Names:        names(new(c.NameFealac), c.NameEs, c.NamePt),
			NameVariants: nameVariants(c),
			NameISO:      c.NameISOShort,
			NameOfficial: c.NameOfficial,
			Region:       region,
			ListEntry:    c.ListEntry,
			ListPosition: pos,
			Sources:      srcs,
		})
	}
	return nil
}

// names returns the non-empty names among en, es and pt, in that order.
func names(en, es, pt *string) []store.LocalizedText {
	out := []store.LocalizedText{}
	for _, n := range []struct {
		lang string
		text *string
	}{{"en", en}, {"es", es}, {"pt", pt}} {
		if n.text != nil && *n.text != "" {
			out = append(out, store.LocalizedText{Lang: n.lang, Text: *n.text})
		}
	}
	return out
}

// nameVariants returns a country's Spanish then Portuguese name variants, leaving out the
// primary name of each language.
func nameVariants(c *rawCountry) []store.LocalizedText {
	out := []store.LocalizedText{}
	add := func(lang string, primary *string, variants []string) {
		for _, v := range variants {
			if v == "" || (primary != nil && v == *primary) {
				continue
			}
			out = append(out, store.LocalizedText{Lang: lang, Text: v})
		}
	}
	add("es", c.NameEs, c.NameEsVariants)
	add("pt", c.NamePt, c.NamePtVariants)
	return out
}

// groupings builds the forum, region, bloc and working-group documents.
func (b *builder) groupings() error {
	f := b.d.Forum
	srcs, err := sources(f.Sources)
	if err != nil {
		return fmt.Errorf("forum: %w", err)
	}
	gs := []*store.Grouping{{
		Slug:            "fealac",
		Kind:            store.GroupingForum,
		Names:           names(new(f.Name), f.NameEs, f.NamePt),
		Acronym:         new("FEALAC"),
		Position:        1,
		ExternalMembers: []store.ExternalMember{},
		Sources:         srcs,
	}}

	if len(b.d.Regions) != len(regions) {
		return fmt.Errorf("dataset has %d regions, want %d", len(b.d.Regions), len(regions))
	}
	for _, spec := range regions {
		r, err := b.region(spec.id)
		if err != nil {
			return err
		}
		srcs, err := sources(r.Sources)
		if err != nil {
			return fmt.Errorf("region %s: %w", r.ID, err)
		}
		gs = append(gs, &store.Grouping{
			Slug:            spec.slug,
			Kind:            store.GroupingRegion,
			Names:           names(new(r.Name), r.NameEs, r.NamePt),
			Parent:          new("fealac"),
			Position:        spec.position,
			ExternalMembers: []store.ExternalMember{},
			Note:            cloneString(r.Note),
			Sources:         srcs,
		})
	}

	if len(b.d.Groupings) != len(blocs) {
		return fmt.Errorf("dataset has %d groupings, want %d", len(b.d.Groupings), len(blocs))
	}
	for i, spec := range blocs {
		g, err := b.bloc(spec.id)
		if err != nil {
			return err
		}
		srcs, err := sources(g.Sources)
		if err != nil {
			return fmt.Errorf("grouping %s: %w", g.ID, err)
		}
		ext := []store.ExternalMember{}
		for _, m := range g.FullMembersNonFealac {
			msrcs, err := sources(orElse(m.Sources, g.Sources))
			if err != nil {
				return fmt.Errorf("grouping %s, member %s: %w", g.ID, m.ISO2, err)
			}
			ext = append(ext, store.ExternalMember{
				Code:    m.ISO2,
				Name:    m.Name,
				Since:   cloneString(m.Since),
				Sources: msrcs,
			})
		}
		gs = append(gs, &store.Grouping{
			Slug:            spec.slug,
			Kind:            spec.kind,
			Names:           names(new(g.Name), g.NameEs, g.NamePt),
			Acronym:         cloneString(spec.acronym),
			Position:        firstBlocPosition + i,
			ExternalMembers: ext,
			Note:            cloneString(g.Note),
			Sources:         srcs,
		})
	}

	b.wgByID = make(map[string]*rawWorkingGroup, len(b.d.WorkingGroups))
	next := firstBlocPosition + len(blocs)
	for i := range b.d.WorkingGroups {
		w := &b.d.WorkingGroups[i]
		if _, dup := b.wgByID[w.ID]; dup {
			return fmt.Errorf("working group %s: listed twice", w.ID)
		}
		b.wgByID[w.ID] = w
		srcs, err := sources(w.Sources)
		if err != nil {
			return fmt.Errorf("working group %s: %w", w.ID, err)
		}
		gs = append(gs, &store.Grouping{
			Slug:            strings.ToLower(w.ID),
			Kind:            store.GroupingWorkingGroup,
			Names:           names(new(w.Name), nil, nil),
			Acronym:         cloneString(w.Acronym),
			Parent:          new("fealac"),
			Position:        next + i,
			ExternalMembers: []store.ExternalMember{},
			Note:            cloneString(w.Note),
			Sources:         srcs,
		})
	}
	b.ds.Groupings = gs
	return nil
}

// region returns the dataset's region with the given ID.
func (b *builder) region(id string) (*rawRegion, error) {
	for i := range b.d.Regions {
		if b.d.Regions[i].ID == id {
			return &b.d.Regions[i], nil
		}
	}
	return nil, fmt.Errorf("region %s: not in the dataset", id)
}

// bloc returns the dataset's grouping with the given ID.
func (b *builder) bloc(id string) (*rawGrouping, error) {
	for i := range b.d.Groupings {
		if b.d.Groupings[i].ID == id {
			return &b.d.Groupings[i], nil
		}
	}
	return nil, fmt.Errorf("grouping %s: not in the dataset", id)
}

// meetings builds the meeting documents.
func (b *builder) meetings() error {
	b.meetingByID = make(map[string]*rawMeeting, len(b.d.Meetings))
	b.meetingByNum = make(map[int]*rawMeeting, len(b.d.Meetings))
	b.ds.Meetings = make([]*store.Meeting, 0, len(b.d.Meetings))
	for i := range b.d.Meetings {
		m := &b.d.Meetings[i]
		if _, dup := b.meetingByID[m.ID]; dup {
			return fmt.Errorf("meeting %s: listed twice", m.ID)
		}
		if _, dup := b.meetingByNum[m.Number]; dup {
			return fmt.Errorf("meeting %s: number %d used twice", m.ID, m.Number)
		}
		b.meetingByID[m.ID] = m
		b.meetingByNum[m.Number] = m
		if err := b.knownCountries("meeting "+m.ID, append([]string{m.HostCountry}, m.CoChairs...)); err != nil {
			return err
		}
		srcs, err := sources(m.Sources)
		if err != nil {
			return fmt.Errorf("meeting %s: %w", m.ID, err)
		}
		b.ds.Meetings = append(b.ds.Meetings, &store.Meeting{
			Key:       m.ID,
			Kind:      store.MeetingFMM,
			Number:    m.Number,
			Title:     ordinal(m.Number) + " FEALAC Foreign Ministers' Meeting",
			City:      m.City,
			Host:      m.HostCountry,
			Year:      m.Year,
			StartDate: cloneString(m.StartDate),
			EndDate:   cloneString(m.EndDate),
			DateBasis: m.DateBasis,
			Theme:     cloneString(m.Theme),
			CoChairs:  append([]string{}, m.CoChairs...),
			Sources:   srcs,
		})
	}
	return nil
}

// ordinal returns n with its English ordinal suffix: "1st", "2nd", "3rd", "4th", "11th".
func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

// memberships builds the memberships of FEALAC, its regions, the blocs and APEC.
func (b *builder) memberships() error {
	var ms []*store.Membership
	seen := make(map[string]bool)
	add := func(grouping, country string, status store.MembershipStatus, since, until *string, srcs []string) error {
		if _, ok := b.countryByCode[country]; !ok {
			return fmt.Errorf("membership of %s: unknown country %s", grouping, country)
		}
		key := grouping + "/" + country + "/" + cmp.Or(deref(since), "-")
		if seen[key] {
			return fmt.Errorf("membership %s: built twice", key)
		}
		seen[key] = true
		ss, err := sources(srcs)
		if err != nil {
			return fmt.Errorf("membership %s: %w", key, err)
		}
		ms = append(ms, &store.Membership{
			Key:      key,
			Grouping: grouping,
			Country:  country,
			Status:   status,
			Since:    cloneString(since),
			Until:    cloneString(until),
			Sources:  ss,
		})
		return nil
	}

	for i := range b.d.Countries {
		c := &b.d.Countries[i]
		var since *string
		srcs := c.Sources
		if a := c.FealacAdmission; a != nil {
			m, ok := b.meetingByNum[a.Meeting]
			if !ok {
				return fmt.Errorf("country %s: admitted at unknown meeting %d", c.ISO2, a.Meeting)
			}
			if m.StartDate == nil {
				return fmt.Errorf("country %s: admission meeting %s has no date", c.ISO2, m.ID)
			}
			since = m.StartDate
			srcs = slices.Concat(a.Sources, m.Sources)
		}
		if err := add("fealac", c.ISO2, store.StatusMember, since, nil, srcs); err != nil {
			return err
		}
	}

	for _, spec := range regions {
		r, err := b.region(spec.id)
		if err != nil {
			return err
		}
		for _, code := range r.Members {
			if c, ok := b.countryByCode[code]; ok && c.Region != r.ID {
				return fmt.Errorf("region %s lists %s, whose region is %s", r.ID, code, c.Region)
			}
			if err := add(spec.slug, code, store.StatusMember, nil, nil, r.Sources); err != nil {
				return err
			}
		}
	}

	for _, spec := range blocs {
		g, err := b.bloc(spec.id)
		if err != nil {
			return err
		}
		details := make(map[string]*rawMemberDetail, len(g.MemberDetails))
		for i := range g.MemberDetails {
			details[g.MemberDetails[i].ISO2] = &g.MemberDetails[i]
		}
		for _, code := range g.FullMembersFealac {
			srcs := g.Sources
			var detail string
			if d, ok := details[code]; ok {
				srcs, detail = orElse(d.Sources, g.Sources), d.Detail
			}
			since, err := sinceOf(g.ID, code, detail)
			if err != nil {
				return err
			}
			if err := add(spec.slug, code, store.StatusMember, since, nil, srcs); err != nil {
				return err
			}
		}
		for _, s := range g.SuspendedMembers {
			since, err := sinceOf(g.ID, s.ISO2, s.Detail)
			if err != nil {
				return err
			}
			srcs := orElse(s.Sources, g.Sources)
			// A suspension ends a full membership: the member period before it is implied
			// by the same sources, though its start is not given.
			if since != nil {
				if err := add(spec.slug, s.ISO2, store.StatusMember, nil, since, srcs); err != nil {
					return err
				}
			}
			if err := add(spec.slug, s.ISO2, store.StatusSuspended, since, nil, srcs); err != nil {
				return err
			}
		}
	}
	b.ds.Memberships = ms
	return nil
}

// sinceOf returns the start date that memberSince gives for a country's membership of a
// grouping, checking that the member detail still states it; nil when none is given.
func sinceOf(grouping, country, detail string) (*string, error) {
	for _, s := range memberSince {
		if s.grouping != grouping || s.country != country {
			continue
		}
		if !strings.Contains(detail, s.evidence) {
			return nil, fmt.Errorf("grouping %s, member %s: detail %q no longer states %q",
				grouping, country, detail, s.evidence)
		}
		return new(s.since), nil
	}
	return nil, nil
}

// decisions builds the decision documents, with the brief's WG-ES decision inserted.
func (b *builder) decisions() error {
	admitted := make(map[int][]string)
	for _, c := range b.d.Countries {
		if c.FealacAdmission != nil {
			n := c.FealacAdmission.Meeting
			admitted[n] = append(admitted[n], c.ISO2)
		}
	}

	var ds []*store.Decision
	seen := make(map[string]bool)
	inserted := false
	for _, d := range b.d.Decisions {
		if seen[d.ID] {
			return fmt.Errorf("decision %s: listed twice", d.ID)
		}
		seen[d.ID] = true
		m, ok := b.meetingByID[d.MeetingID]
		if !ok {
			return fmt.Errorf("decision %s: unknown meeting %s", d.ID, d.MeetingID)
		}
		kind, _ := decisionKind(d.Type)
		titles := []store.LocalizedText{{Lang: "en", Text: d.Name}}
		if d.NameEs != nil && *d.NameEs != "" {
			titles = append(titles, store.LocalizedText{Lang: "es", Text: *d.NameEs})
		}
		topics := []string{}
		if deref(d.Subject) == "SME" {
			topics = append(topics, "sme")
		}
		countries := append([]string{}, decisionCountries[d.ID]...)
		if kind == store.DecisionAdmission {
			countries = append(countries, admitted[m.Number]...)
			if len(countries) == 0 {
				return fmt.Errorf("decision %s: no country admitted at %s", d.ID, m.ID)
			}
		}
		slices.Sort(countries)
		if err := b.knownCountries("decision "+d.ID, countries); err != nil {
			return err
		}
		srcs, err := sources(d.Sources)
		if err != nil {
			return fmt.Errorf("decision %s: %w", d.ID, err)
		}
		ds = append(ds, &store.Decision{
			Key:       d.ID,
			Meeting:   d.MeetingID,
			Titles:    titles,
			Kind:      kind,
			Topics:    topics,
			Groupings: []string{},
			Countries: countries,
			Note:      cloneString(d.Note),
			Sources:   srcs,
		})
		if d.ID == wgDecision.afterDecision {
			wg, err := b.wgDecision()
			if err != nil {
				return err
			}
			ds = append(ds, wg)
			inserted = true
		}
	}
	if !inserted {
		return fmt.Errorf("decision %s: %s, which it follows, is not in the dataset",
			wgDecision.key, wgDecision.afterDecision)
	}
	if seen[wgDecision.key] {
		return fmt.Errorf("decision %s: now in the dataset; remove the added one", wgDecision.key)
	}
	for i, d := range ds {
		d.Seq = i + 1
	}
	b.ds.Decisions = ds
	return nil
}

// wgDecision builds the decision establishing the Economy and Society Working Group, a fact of
// the SME center brief that the dataset's decisions array does not hold.
func (b *builder) wgDecision() (*store.Decision, error) {
	w, ok := b.wgByID[wgDecision.workingGroup]
	if !ok {
		return nil, fmt.Errorf("decision %s: working group %s not in the dataset", wgDecision.key, wgDecision.workingGroup)
	}
	if _, ok := b.meetingByID[wgDecision.meeting]; !ok {
		return nil, fmt.Errorf("decision %s: meeting %s not in the dataset", wgDecision.key, wgDecision.meeting)
	}
	srcs, err := sources(w.Sources)
	if err != nil {
		return nil, fmt.Errorf("decision %s: %w", wgDecision.key, err)
	}
	return &store.Decision{
		Key:       wgDecision.key,
		Meeting:   wgDecision.meeting,
		Titles:    []store.LocalizedText{{Lang: "en", Text: wgDecision.title}},
		Kind:      store.DecisionInstitutional,
		Topics:    []string{"sme"},
		Groupings: []string{strings.ToLower(w.ID)},
		Countries: []string{},
		Note:      new(wgDecision.note),
		Sources:   srcs,
	}, nil
}

// agencies builds the agency documents and checks them against the interconnectivity list:
// each agency's URL is its country's normalised entry, and no "NA" country has an agency.
func (b *builder) agencies() error {
	byCountry := make(map[string]bool, len(b.d.Agencies))
	b.ds.Agencies = make([]*store.Agency, 0, len(b.d.Agencies))
	for _, a := range b.d.Agencies {
		c, ok := b.countryByCode[a.Country]
		if !ok {
			return fmt.Errorf("agency %s: unknown country %s", a.ID, a.Country)
		}
		if byCountry[a.Country] {
			return fmt.Errorf("agency %s: a second agency of %s", a.ID, a.Country)
		}
		byCountry[a.Country] = true
		kind, ok := agencyKinds[a.Country]
		if !ok {
			return fmt.Errorf("agency %s: no kind for %s", a.ID, a.Country)
		}
		u, err := store.NormaliseURL(a.URL)
		if err != nil {
			return fmt.Errorf("agency %s: %w", a.ID, err)
		}
		if c.ListEntry == "NA" {
			return fmt.Errorf("agency %s: %s has no address on the interconnectivity list", a.ID, a.Country)
		}
		listed, err := store.NormaliseURL(c.ListEntry)
		if err != nil {
			return fmt.Errorf("country %s: list entry: %w", c.ISO2, err)
		}
		if listed != u {
			return fmt.Errorf("agency %s: URL %q, the list has %q", a.ID, u, listed)
		}
		ns := []store.LocalizedText{}
		if a.NameEn != nil && *a.NameEn != "" {
			ns = append(ns, store.LocalizedText{Lang: "en", Text: *a.NameEn})
		}
		if a.NameLocal != nil && *a.NameLocal != "" {
			lang := deref(a.NameLocalLanguage)
			if lang == "" {
				return fmt.Errorf("agency %s: local name without a language", a.ID)
			}
			if !(lang == "en" && a.NameEn != nil && *a.NameLocal == *a.NameEn) {
				ns = append(ns, store.LocalizedText{Lang: lang, Text: *a.NameLocal})
			}
		}
		srcs, err := sources(a.Sources)
		if err != nil {
			return fmt.Errorf("agency %s: %w", a.ID, err)
		}
		b.ds.Agencies = append(b.ds.Agencies, &store.Agency{
			Key:                 a.ID,
			Country:             a.Country,
			Names:               ns,
			Acronym:             cloneString(a.Acronym),
			Kind:                kind,
			URL:                 new(u),
			IdentificationBasis: a.IdentificationBasis,
			Sources:             srcs,
		})
	}
	for _, c := range b.d.Countries {
		if c.ListEntry != "NA" && !byCountry[c.ISO2] {
			return fmt.Errorf("country %s: listed address %q has no agency", c.ISO2, c.ListEntry)
		}
	}
	return nil
}

// sources converts source strings (URLs or document names) into Sources; see
// store.SourcesFrom.
func sources(lists ...[]string) ([]store.Source, error) { return store.SourcesFrom(lists...) }

// knownCountries fails if any of codes is not a FEALAC country of the dataset.
func (b *builder) knownCountries(item string, codes []string) error {
	for _, code := range codes {
		if _, ok := b.countryByCode[code]; !ok {
			return fmt.Errorf("%s: unknown country %s", item, code)
		}
	}
	return nil
}

// cloneString returns a copy of *p, or nil when p is nil, so that no two documents share a
// pointer.
func cloneString(p *string) *string {
	if p == nil {
		return nil
	}
	return new(*p)
}

// orElse returns list, or fallback when list is empty.
func orElse(list, fallback []string) []string {
	if len(list) == 0 {
		return fallback
	}
	return list
}

// deref returns *p, or "" when p is nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
