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
}

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

// CountriesByCodes returns the countries with the given alpha-2 codes, in no particular
// order; unknown codes are skipped.
func (s *Store) CountriesByCodes(ctx context.Context, codes []string) ([]*Country, error) {
	return findAll[Country](ctx, s.db.Collection(countriesColl), in("_id", codes), nil)
}

// countryOrder is the default order of the countries connection: by alpha-2 code.
var countryOrder = order{name: "country:code", keys: []sortKey{{field: "_id"}}}

// Countries returns one page of all countries, ordered by alpha-2 code.
func (s *Store) Countries(ctx context.Context, p PageArgs) (*Page[Country], error) {
	return paginate(ctx, s, countriesColl, nil, countryOrder, p,
		func(c *Country) []any { return []any{c.Code} })
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
