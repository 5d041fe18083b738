package readmodel

import "github.com/fealac/smegraph/internal/store"

// forum is the slug of FEALAC itself, whose members the stats count.
const forum = "fealac"

// Stats computes the dashboard figures of FEALAC on date (YYYY-MM-DD): its full members on
// that date, their agencies, the members whose interconnectivity-list entry is an address,
// and the same per region (by the members' region memberships on that date).
func (s *Snapshot) Stats(date string) *store.Stats {
	day := s.day(date)
	st := &store.Stats{AsOf: date, ByRegion: []*store.RegionStats{}}
	byRegion := map[string]*store.RegionStats{}
	for _, r := range s.groupings.regions {
		rs := &store.RegionStats{Region: r.Slug}
		byRegion[r.Slug] = rs
		st.ByRegion = append(st.ByRegion, rs)
	}
	regionOf := map[string]*store.RegionStats{}
	for _, r := range s.groupings.regions {
		for _, c := range day.membersOf[r.Slug] {
			regionOf[c.Code] = byRegion[r.Slug]
		}
	}
	seen := map[string]bool{}
	for _, c := range day.membersOf[forum] {
		if seen[c.Code] {
			continue
		}
		seen[c.Code] = true
		agencies := len(s.agencies.byCountry[c.Code])
		st.Countries++
		st.Agencies += agencies
		rs := regionOf[c.Code]
		if rs != nil {
			rs.Countries++
			rs.Agencies += agencies
		}
		if c.Derived.HasAgencyURL {
			st.CountriesWithAgencyURL++
			if rs != nil {
				rs.CountriesWithAgencyURL++
			}
		}
	}
	if st.Countries > 0 {
		st.InterconnectivityCoverage = float64(st.CountriesWithAgencyURL) / float64(st.Countries)
	}
	return st
}
