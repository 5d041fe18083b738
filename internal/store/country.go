package store

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fealac/smegraph/internal/gid"
)

// Country is a FEALAC member country, stored in the countries collection under its ISO 3166-1
// alpha-2 code. Codes and ISO names come from the ISO 3166-1 datasets cited in Sources.
type Country struct {
	// Code is the ISO 3166-1 alpha-2 code, e.g. "PE".
	Code string `bson:"_id"`
	// Alpha3 is the ISO 3166-1 alpha-3 code, e.g. "PER".
	Alpha3 string `bson:"alpha3"`
	// Numeric is the ISO 3166-1 numeric code, three digits with leading zeros, e.g. "036".
	Numeric string `bson:"numeric"`
	// Names has the English display name first (the SME center brief's own, e.g. "Korea"),
	// then Spanish and Portuguese.
	Names []LocalizedText `bson:"names"`
	// NameVariants are further names in a language where the sources disagree.
	NameVariants []LocalizedText `bson:"nameVariants"`
	// NameISO is the ISO 3166-1 short name, e.g. "Korea, Republic of".
	NameISO string `bson:"nameIso"`
	// NameOfficial is the formal name, e.g. "Republic of Peru".
	NameOfficial string `bson:"nameOfficial"`
	// Region is the slug of the country's FEALAC region grouping.
	Region string `bson:"region"`
	// ListEntry is the country's entry on the brief's interconnectivity list, exactly as
	// written: an address (two without a scheme) or "NA".
	ListEntry string `bson:"listEntry"`
	// ListPosition is the 1-based position of the country on that list.
	ListPosition int      `bson:"listPosition"`
	Sources      []Source `bson:"sources"`
	Revision     `bson:",inline"`
	Derived      CountryDerived `bson:",inline"`
}

// CountryDerived holds what the store derives from a country for filtering and ordering;
// derive recomputes it on every write.
type CountryDerived struct {
	NameKeys     []string `bson:"nameKeys"`     // folded names in every language, variants and the ISO short name
	CodeKeys     []string `bson:"codeKeys"`     // folded alpha-2, alpha-3, numeric
	SortName     string   `bson:"sortName"`     // folded English name
	HasAgencyURL bool     `bson:"hasAgencyURL"` // the list entry is an address, not NA
}

func (c *Country) derive(map[string]*Country) {
	c.Derived = CountryDerived{
		NameKeys:     foldAll(c.Names, c.NameVariants, []LocalizedText{{Text: c.NameISO}}),
		CodeKeys:     []string{Fold(c.Code), Fold(c.Alpha3), Fold(c.Numeric)},
		SortName:     Fold(firstText(c.Names)),
		HasAgencyURL: c.ListEntry != "" && c.ListEntry != "NA",
	}
}

// CountryFilter selects countries; see the GraphQL input of the same name.
type CountryFilter struct {
	Code         *StringFilter
	Name         *StringFilter
	Region       *StringFilter
	Grouping     *StringFilter
	HasAgencyURL *bool
	And          []*CountryFilter
	Or           []*CountryFilter
}

// CountryOrderField is a sort key of the countries connection.
type CountryOrderField string

// The country sort keys.
const (
	CountryByCode   CountryOrderField = "CODE"
	CountryByName   CountryOrderField = "NAME"
	CountryByRegion CountryOrderField = "REGION"
)

// CountryOrder is one sort key of the countries connection with its direction.
type CountryOrder = Order[CountryOrderField]

// ID returns the country's global node ID.
func (c *Country) ID() string { return gid.Encode(gid.Country, c.Code) }

// Country returns the country with the ISO 3166-1 code code, given as alpha-2 ("PE"),
// alpha-3 ("PER") or numeric ("604"; "36" is read as "036"), in any case, surrounding spaces
// ignored. It returns ErrNotFound for an unknown or malformed code.
func (s *Store) Country(ctx context.Context, code string) (*Country, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if isDigits(code) && len(code) < 3 {
		code = strings.Repeat("0", 3-len(code)) + code
	}
	var field string
	switch {
	case len(code) == 2:
		field = "_id"
	case len(code) == 3 && isDigits(code):
		field = "numeric"
	case len(code) == 3:
		field = "alpha3"
	default:
		return nil, ErrNotFound
	}
	return findOne[Country](ctx, s.db.Collection(countriesColl), bson.D{{Key: field, Value: code}})
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
