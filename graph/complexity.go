package graph

import (
	"github.com/fealac/smegraph/internal/store"
)

// Estimated sizes of the graph's lists, used to price a query before it runs: a list field
// costs its selection times the number of elements it can return. They are upper estimates
// for the reference data (36 countries, 16 groupings, 119 memberships, 10 meetings, 22
// decisions) with room for growth; page sizes come from first/last.
const (
	countriesPerGrouping = 40 // FEALAC has 36 members
	groupingsPerCountry  = 10 // Peru has 5
	agenciesPerCountry   = 5  // the list has at most one
	meetingsPerHost      = 3  // no country has hosted twice
	decisionsPerMeeting  = 5  // the 4th meeting has 3
	decisionsPerGrouping = 5
	countriesPerDecision = 5 // an admission names two
	groupingsPerDecision = 3
	childrenPerGrouping  = 10 // FEALAC has 2 regions and 7 working groups
	coChairsPerMeeting   = 2
	externalPerGrouping  = 10 // APEC has 6
	textsPerNode         = 4  // names, sources and the like
	sourcesPerNode       = 10
)

// The fixed cost of a root field that reads a collection whatever it returns: a connection
// is one query (a filter scans too), a search three per type.
const (
	connectionCost = 10
	searchCost     = 1000
)

// The nested dashboard query (100 groupings → members → agencies, groupings, hosted meetings
// → decisions → meeting) costs about 340,000; two Grouping ↔ Country round trips below a page
// of 100 cost over 50 million. The server's default limit is 500,000.

// Complexity returns the cost functions of the schema's list fields.
func Complexity() ComplexityRoot {
	var c ComplexityRoot
	times := func(n int) func(int) int { return func(child int) int { return 1 + n*child } }
	timesAt := func(n int) func(int, *string) int { return func(child int, _ *string) int { return 1 + n*child } }
	// page is the page size a connection asks for; an out-of-range size costs nothing here,
	// as the resolver refuses it with BAD_USER_INPUT naming the argument.
	page := func(first, last *int) int {
		for _, n := range []*int{first, last} {
			if n != nil {
				if *n < 0 || *n > store.MaxPageSize {
					return 0
				}
				return *n
			}
		}
		return store.DefaultPageSize
	}

	c.Query.Countries = func(child int, _ *store.CountryFilter, _ []*store.CountryOrder, first *int, _ *string, last *int, _ *string) int {
		return connectionCost + page(first, last)*child
	}
	c.Query.Agencies = func(child int, _ *store.AgencyFilter, _ []*store.AgencyOrder, first *int, _ *string, last *int, _ *string) int {
		return connectionCost + page(first, last)*child
	}
	c.Query.Groupings = func(child int, _ *store.GroupingFilter, first *int, _ *string, last *int, _ *string) int {
		return connectionCost + page(first, last)*child
	}
	c.Query.Meetings = func(child int, _ *store.MeetingFilter, _ []*store.MeetingOrder, first *int, _ *string, last *int, _ *string) int {
		return connectionCost + page(first, last)*child
	}
	c.Query.Decisions = func(child int, _ *store.DecisionFilter, first *int, _ *string, last *int, _ *string) int {
		return connectionCost + page(first, last)*child
	}
	c.Query.Nodes = func(child int, ids []string) int { return 1 + len(ids)*child }
	c.Query.Search = func(child int, _ string, _ []store.SearchType, first *int, _ *string) int {
		return searchCost + page(first, nil)*child
	}

	c.Country.Groupings = timesAt(groupingsPerCountry)
	c.Country.Memberships = timesAt(groupingsPerCountry)
	c.Country.Agencies = times(agenciesPerCountry)
	c.Country.HostedMeetings = times(meetingsPerHost)
	c.Country.Names = times(textsPerNode)
	c.Country.Sources = times(sourcesPerNode)

	c.Agency.Names = times(textsPerNode)
	c.Agency.Sources = times(sourcesPerNode)

	c.Grouping.Members = timesAt(countriesPerGrouping)
	c.Grouping.Memberships = timesAt(countriesPerGrouping)
	c.Grouping.ExternalMembers = timesAt(externalPerGrouping)
	c.Grouping.Children = times(childrenPerGrouping)
	c.Grouping.Decisions = times(decisionsPerGrouping)
	c.Grouping.Names = times(textsPerNode)
	c.Grouping.Sources = times(sourcesPerNode)

	c.Membership.Sources = times(sourcesPerNode)
	c.ExternalMember.Sources = times(sourcesPerNode)

	c.Meeting.CoChairs = times(coChairsPerMeeting)
	c.Meeting.Decisions = times(decisionsPerMeeting)
	c.Meeting.Sources = times(sourcesPerNode)

	c.Decision.Countries = times(countriesPerDecision)
	c.Decision.Groupings = times(groupingsPerDecision)
	c.Decision.Topics = times(textsPerNode)
	c.Decision.Sources = times(sourcesPerNode)
	return c
}
