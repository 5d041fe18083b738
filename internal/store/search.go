package store

// SearchType is a node type that search covers (see readmodel.Snapshot.Search).
type SearchType string

// The searchable types, in the order they break ties.
const (
	SearchCountry  SearchType = "COUNTRY"
	SearchAgency   SearchType = "AGENCY"
	SearchGrouping SearchType = "GROUPING"
	SearchMeeting  SearchType = "MEETING"
	SearchDecision SearchType = "DECISION"
)
