package store

// Stats are the dashboard figures of FEALAC on one date.
type Stats struct {
	// AsOf is the date of the figures (YYYY-MM-DD).
	AsOf string
	// Countries is the number of FEALAC members on the date.
	Countries int
	// Agencies is the number of SME agencies of those members.
	Agencies int
	// CountriesWithAgencyURL is the number of members whose interconnectivity-list entry is
	// an address, and InterconnectivityCoverage their share of all members (0..1; 0 when
	// there are no members).
	CountriesWithAgencyURL    int
	InterconnectivityCoverage float64
	// ByRegion has the same figures for each FEALAC region, in display order.
	ByRegion []*RegionStats
}

// RegionStats are the figures of one FEALAC region on a date.
type RegionStats struct {
	Region                 string // slug
	Countries              int
	CountriesWithAgencyURL int
	Agencies               int
}
