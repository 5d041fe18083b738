package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

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

// Stats computes the figures on date (YYYY-MM-DD) in four queries: the regions, the FEALAC
// and region memberships in force, the members with an address, and the agencies per member.
// The agency count uses a $group with a single accumulator: FerretDB answers 0 for every
// accumulator after the first, silently.
func (s *Store) Stats(ctx context.Context, date string) (*Stats, error) {
	regions, err := findAll[Grouping](ctx, s.db.Collection(groupingsColl),
		bson.D{{Key: "kind", Value: string(GroupingRegion)}}, bson.D{{Key: "position", Value: 1}, {Key: "_id", Value: 1}})
	if err != nil {
		return nil, err
	}
	slugs := []string{"fealac"}
	for _, r := range regions {
		slugs = append(slugs, r.Slug)
	}
	ms, err := findAll[Membership](ctx, s.db.Collection(membershipsColl),
		bson.D{{Key: "$and", Value: bson.A{activeOn(date), in("grouping", slugs)}}}, nil)
	if err != nil {
		return nil, err
	}
	var members []string
	regionOf := map[string]string{}
	isMember := map[string]bool{}
	for _, m := range ms {
		if m.Grouping == "fealac" {
			if !isMember[m.Country] {
				members = append(members, m.Country)
			}
			isMember[m.Country] = true
		} else {
			regionOf[m.Country] = m.Grouping
		}
	}

	withURL, err := findAll[Country](ctx, s.db.Collection(countriesColl),
		bson.D{{Key: "$and", Value: bson.A{in("_id", members), bson.D{{Key: "hasAgencyURL", Value: true}}}}}, nil)
	if err != nil {
		return nil, err
	}
	cur, err := s.db.Collection(agenciesColl).Aggregate(ctx, bson.A{
		bson.D{{Key: "$match", Value: in("country", members)}},
		bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$country"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
	}, options.Aggregate().SetBatchSize(findBatchSize))
	if err != nil {
		return nil, fmt.Errorf("count agencies: %w", err)
	}
	var perCountry []struct {
		Country string `bson:"_id"`
		N       int    `bson:"n"`
	}
	if err := cur.All(ctx, &perCountry); err != nil {
		return nil, fmt.Errorf("count agencies: %w", err)
	}

	st := &Stats{AsOf: date, Countries: len(members), CountriesWithAgencyURL: len(withURL), ByRegion: []*RegionStats{}}
	byRegion := map[string]*RegionStats{}
	for _, r := range regions {
		rs := &RegionStats{Region: r.Slug}
		byRegion[r.Slug] = rs
		st.ByRegion = append(st.ByRegion, rs)
	}
	for _, code := range members {
		if rs := byRegion[regionOf[code]]; rs != nil {
			rs.Countries++
		}
	}
	for _, c := range withURL {
		if rs := byRegion[regionOf[c.Code]]; rs != nil {
			rs.CountriesWithAgencyURL++
		}
	}
	for _, a := range perCountry {
		st.Agencies += a.N
		if rs := byRegion[regionOf[a.Country]]; rs != nil {
			rs.Agencies += a.N
		}
	}
	if st.Countries > 0 {
		st.InterconnectivityCoverage = float64(st.CountriesWithAgencyURL) / float64(st.Countries)
	}
	return st, nil
}
