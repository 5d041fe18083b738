package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fealac/smegraph/internal/gid"
)

// AgencyKind classifies an SME agency.
type AgencyKind string

// The agency kinds.
const (
	AgencyMinistry AgencyKind = "MINISTRY"
	AgencyAgency   AgencyKind = "AGENCY"
	AgencyChamber  AgencyKind = "CHAMBER"
	AgencyOther    AgencyKind = "OTHER"
)

// Agency is a national SME agency from the FEALAC interconnectivity list, stored in the
// agencies collection under a key such as "AG-PE".
type Agency struct {
	Key     string `bson:"_id"`
	Country string `bson:"country"` // ISO 3166-1 alpha-2
	// Names are the agency's names by language: English first where sourced, then the name
	// in the national language. Empty when no source names the body behind the address.
	Names   []LocalizedText `bson:"names"`
	Acronym *string         `bson:"acronym"`
	Kind    AgencyKind      `bson:"kind"`
	// URL is the listed address as an absolute http(s) URL; see the seed package for the
	// normalisation rule.
	URL *string `bson:"url"`
	// IdentificationBasis says how the address was linked to the named body.
	IdentificationBasis string   `bson:"identificationBasis"`
	Sources             []Source `bson:"sources"`
	Revision            `bson:",inline"`
}

// ID returns the agency's global node ID.
func (a *Agency) ID() string { return gid.Encode(gid.Agency, a.Key) }

// Agency returns the agency stored under key, or ErrNotFound.
func (s *Store) Agency(ctx context.Context, key string) (*Agency, error) {
	return findOne[Agency](ctx, s.db.Collection(agenciesColl), bson.D{{Key: "_id", Value: key}})
}

// AgenciesByKeys returns the agencies with the given keys, in no particular order.
func (s *Store) AgenciesByKeys(ctx context.Context, keys []string) ([]*Agency, error) {
	return findAll[Agency](ctx, s.db.Collection(agenciesColl), in("_id", keys), nil)
}

// AgenciesByCountries returns the agencies of the given countries (alpha-2 codes), ordered by
// country and key.
func (s *Store) AgenciesByCountries(ctx context.Context, codes []string) ([]*Agency, error) {
	return findAll[Agency](ctx, s.db.Collection(agenciesColl), in("country", codes),
		bson.D{{Key: "country", Value: 1}, {Key: "_id", Value: 1}})
}

var agencyOrder = order{name: "agency:key", keys: []sortKey{{field: "_id"}}}

// Agencies returns one page of all agencies, ordered by key (and so by country).
func (s *Store) Agencies(ctx context.Context, p PageArgs) (*Page[Agency], error) {
	return paginate(ctx, s, agenciesColl, nil, agencyOrder, p,
		func(a *Agency) []any { return []any{a.Key} })
}
