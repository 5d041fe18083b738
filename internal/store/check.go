package store

import (
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/fealac/smegraph/internal/apperr"
)

// Shapes of keys and codes.
var (
	alpha2Pattern  = regexp.MustCompile(`^[A-Z]{2}$`)
	alpha3Pattern  = regexp.MustCompile(`^[A-Z]{3}$`)
	numericPattern = regexp.MustCompile(`^[0-9]{3}$`)
	slugPattern    = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

// CheckDataset checks documents before they are written in bulk (a JSON import): keys present
// and unique, codes of the right shape, enums known, references resolvable in ds or stored
// (stored), URLs normalised, texts storable, membership keys matching their content. Each
// problem's Field is "<collection>[<index>]".
func CheckDataset(ds, stored *Dataset) Problems {
	var p Problems
	countries, groupings, meetings := map[string]*Country{}, map[string]*Grouping{}, map[string]bool{}
	for _, c := range slices.Concat(stored.Countries, ds.Countries) {
		countries[c.Code] = c
	}
	for _, g := range slices.Concat(stored.Groupings, ds.Groupings) {
		groupings[g.Slug] = g
	}
	for _, m := range slices.Concat(stored.Meetings, ds.Meetings) {
		meetings[m.Key] = true
	}
	bad := func(coll string, i int, format string, args ...any) {
		p.add(fmt.Sprintf("%s[%d]", coll, i), apperr.BadUserInput, format, args...)
	}
	unique := func(coll string, i int, key string, seen map[string]bool) {
		switch {
		case key == "":
			bad(coll, i, "has no _id")
		case seen[key]:
			bad(coll, i, "_id %s is in the file twice", apperr.Quote(key))
		}
		seen[key] = true
	}
	texts := func(coll string, i int, ts []LocalizedText, required bool) {
		if required && len(ts) == 0 {
			bad(coll, i, "needs a name")
		}
		for _, t := range ts {
			if msg := checkText(t.Text); msg != "" || t.Lang == "" {
				bad(coll, i, "a name or title %s", msg)
			}
		}
	}
	date := func(coll string, i int, d *string) {
		if d != nil {
			if _, err := time.Parse(time.DateOnly, *d); err != nil {
				bad(coll, i, "%s is not a date YYYY-MM-DD", apperr.Quote(*d))
			}
		}
	}

	seen := map[string]bool{}
	for i, c := range ds.Countries {
		unique(countriesColl, i, c.Code, seen)
		if !alpha2Pattern.MatchString(c.Code) || !alpha3Pattern.MatchString(c.Alpha3) || !numericPattern.MatchString(c.Numeric) {
			bad(countriesColl, i, "codes must be ISO 3166-1 alpha-2, alpha-3 and numeric")
		}
		texts(countriesColl, i, c.Names, true)
		if g, ok := groupings[c.Region]; !ok || g.Kind != GroupingRegion {
			bad(countriesColl, i, "region %s is not a region grouping", apperr.Quote(c.Region))
		}
	}
	seen = map[string]bool{}
	for i, g := range ds.Groupings {
		unique(groupingsColl, i, g.Slug, seen)
		if !slugPattern.MatchString(g.Slug) {
			bad(groupingsColl, i, "the slug must be lower-case letters, digits and dashes")
		}
		if !slices.Contains([]GroupingKind{GroupingForum, GroupingRegion, GroupingTradeBloc, GroupingEconomicForum, GroupingWorkingGroup}, g.Kind) {
			bad(groupingsColl, i, "kind %s is unknown", apperr.Quote(string(g.Kind)))
		}
		if g.Parent != nil && groupings[*g.Parent] == nil {
			bad(groupingsColl, i, "parent %s is unknown", apperr.Quote(*g.Parent))
		}
		texts(groupingsColl, i, g.Names, true)
	}
	seen = map[string]bool{}
	for i, m := range ds.Meetings {
		unique(meetingsColl, i, m.Key, seen)
		if countries[m.Host] == nil || m.Number < 1 || m.Kind != MeetingFMM {
			bad(meetingsColl, i, "needs a known host, a number from 1 and kind FOREIGN_MINISTERS_MEETING")
		}
		date(meetingsColl, i, m.StartDate)
		date(meetingsColl, i, m.EndDate)
	}
	seen = map[string]bool{}
	for i, a := range ds.Agencies {
		unique(agenciesColl, i, a.Key, seen)
		if countries[a.Country] == nil {
			bad(agenciesColl, i, "country %s is unknown", apperr.Quote(a.Country))
		}
		if !slices.Contains([]AgencyKind{AgencyMinistry, AgencyAgency, AgencyChamber, AgencyOther}, a.Kind) {
			bad(agenciesColl, i, "kind %s is unknown", apperr.Quote(string(a.Kind)))
		}
		if a.URL != nil {
			if norm, err := NormaliseURL(*a.URL); err != nil || norm != *a.URL {
				bad(agenciesColl, i, "url %s is not a normalised http(s) address", apperr.Quote(*a.URL))
			}
		}
		texts(agenciesColl, i, a.Names, false)
	}
	seen = map[string]bool{}
	for i, m := range ds.Memberships {
		unique(membershipsColl, i, m.Key, seen)
		if countries[m.Country] == nil || groupings[m.Grouping] == nil {
			bad(membershipsColl, i, "country or grouping is unknown")
		}
		if m.Key != membershipKey(m.Grouping, m.Country, m.Since) {
			bad(membershipsColl, i, "_id must be %s", apperr.Quote(membershipKey(m.Grouping, m.Country, m.Since)))
		}
		if !slices.Contains([]MembershipStatus{StatusMember, StatusSuspended, StatusObserver}, m.Status) {
			bad(membershipsColl, i, "status %s is unknown", apperr.Quote(string(m.Status)))
		}
		date(membershipsColl, i, m.Since)
		date(membershipsColl, i, m.Until)
		if m.Since != nil && m.Until != nil && *m.Until <= *m.Since {
			bad(membershipsColl, i, "until must be after since")
		}
	}
	seen = map[string]bool{}
	for i, d := range ds.Decisions {
		unique(decisionsColl, i, d.Key, seen)
		if !meetings[d.Meeting] {
			bad(decisionsColl, i, "meeting %s is unknown", apperr.Quote(d.Meeting))
		}
		if !slices.Contains([]DecisionKind{DecisionDeclaration, DecisionDecision, DecisionPlan, DecisionFramework, DecisionAdmission, DecisionInstitutional, DecisionOther}, d.Kind) {
			bad(decisionsColl, i, "kind %s is unknown", apperr.Quote(string(d.Kind)))
		}
		for _, c := range d.Countries {
			if countries[c] == nil {
				bad(decisionsColl, i, "country %s is unknown", apperr.Quote(c))
			}
		}
		for _, g := range d.Groupings {
			if groupings[g] == nil {
				bad(decisionsColl, i, "grouping %s is unknown", apperr.Quote(g))
			}
		}
		texts(decisionsColl, i, d.Titles, true)
	}
	return p
}
