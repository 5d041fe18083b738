package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// MembershipStatus is a country's standing in a grouping.
type MembershipStatus string

// The membership statuses.
const (
	StatusMember    MembershipStatus = "MEMBER"
	StatusSuspended MembershipStatus = "SUSPENDED"
	StatusObserver  MembershipStatus = "OBSERVER"
)

// Membership is one period of a FEALAC country's membership of a grouping, stored in the
// memberships collection under "<grouping>/<country>/<since or ->".
type Membership struct {
	Key      string           `bson:"_id"`
	Grouping string           `bson:"grouping"` // slug
	Country  string           `bson:"country"`  // ISO 3166-1 alpha-2
	Status   MembershipStatus `bson:"status"`
	// Since and Until bound the period (YYYY-MM-DD, Until exclusive); nil when no source
	// gives the date.
	Since    *string  `bson:"since"`
	Until    *string  `bson:"until"`
	Sources  []Source `bson:"sources"`
	Revision `bson:",inline"`
}

func (m *Membership) derive(map[string]*Country) {}

// MembershipsByGroupings returns the memberships in the given groupings, ordered by grouping,
// country and start.
func (s *Store) MembershipsByGroupings(ctx context.Context, slugs []string) ([]*Membership, error) {
	return findAll[Membership](ctx, s.db.Collection(membershipsColl), in("grouping", slugs),
		bson.D{{Key: "grouping", Value: 1}, {Key: "country", Value: 1}, {Key: "_id", Value: 1}})
}

// MembershipsByCountries returns the memberships of the given countries, ordered by country
// and grouping.
func (s *Store) MembershipsByCountries(ctx context.Context, codes []string) ([]*Membership, error) {
	return findAll[Membership](ctx, s.db.Collection(membershipsColl), in("country", codes),
		bson.D{{Key: "country", Value: 1}, {Key: "grouping", Value: 1}, {Key: "_id", Value: 1}})
}

// ActiveOn reports whether the membership's period includes date (YYYY-MM-DD). An open
// bound (nil) includes every date on its side.
func (m *Membership) ActiveOn(date string) bool {
	return (m.Since == nil || *m.Since <= date) && (m.Until == nil || date < *m.Until)
}
