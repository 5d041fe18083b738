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
	Derived             AgencyDerived `bson:",inline"`
}

// AgencyDerived holds what the store derives from an agency and its country for filtering
// and ordering; derive recomputes it on every write.
type AgencyDerived struct {
	NameKeys     []string `bson:"nameKeys"`     // folded names and acronym
	SortName     string   `bson:"sortName"`     // "1" + folded English name; "2" when nameless, so those sort last
	CountryCodes []string `bson:"countryCodes"` // the country's alpha-2, alpha-3 and numeric codes
	CountryKeys  []string `bson:"countryKeys"`  // the same, folded, with the country's folded names
	Region       string   `bson:"region"`       // the country's region slug
}

func (a *Agency) derive(countries map[string]*Country) {
	d := AgencyDerived{NameKeys: foldAll(a.Names), SortName: "2", CountryCodes: []string{a.Country}, CountryKeys: []string{Fold(a.Country)}}
	if a.Acronym != nil {
		d.NameKeys = append(d.NameKeys, Fold(*a.Acronym))
	}
	if len(a.Names) > 0 {
		d.SortName = "1" + Fold(a.Names[0].Text)
	}
	if c, ok := countries[a.Country]; ok {
		d.CountryCodes = []string{c.Code, c.Alpha3, c.Numeric}
		d.CountryKeys = append(append([]string{}, c.Derived.CodeKeys...), c.Derived.NameKeys...)
		d.Region = c.Region
	}
	a.Derived = d
}

// AgencyFilter selects agencies; see the GraphQL input of the same name.
type AgencyFilter struct {
	Country *StringFilter
	Region  *StringFilter
	Name    *StringFilter
	Kind    []AgencyKind
	HasURL  *bool
	And     []*AgencyFilter
	Or      []*AgencyFilter
}

// AgencyOrderField is a sort key of the agencies connection.
type AgencyOrderField string

// The agency sort keys.
const (
	AgencyByName      AgencyOrderField = "NAME"
	AgencyByCountry   AgencyOrderField = "COUNTRY"
	AgencyByUpdatedAt AgencyOrderField = "UPDATED_AT"
)

// AgencyOrder is one sort key of the agency connection with its direction.
type AgencyOrder = Order[AgencyOrderField]

// ID returns the agency's global node ID.
func (a *Agency) ID() string { return gid.Encode(gid.Agency, a.Key) }

// Agency returns the agency stored under key, or ErrNotFound.
func (s *Store) Agency(ctx context.Context, key string) (*Agency, error) {
	return findOne[Agency](ctx, s.db.Collection(agenciesColl), bson.D{{Key: "_id", Value: key}})
}

// AgenciesByCountries returns the agencies of the given countries (alpha-2 codes), ordered by
// country and key.
func (s *Store) AgenciesByCountries(ctx context.Context, codes []string) ([]*Agency, error) {
	return findAll[Agency](ctx, s.db.Collection(agenciesColl), in("country", codes),
		bson.D{{Key: "country", Value: 1}, {Key: "_id", Value: 1}})
}
