package store

import (
	"context"
	"slices"
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

// CountriesByCodes returns the countries with the given alpha-2 codes, in no particular
// order; unknown codes are skipped.
func (s *Store) CountriesByCodes(ctx context.Context, codes []string) ([]*Country, error) {
	return findAll[Country](ctx, s.db.Collection(countriesColl), in("_id", codes), nil)
}

// countryOrder is the default order of the countries connection: by alpha-2 code.
var countryOrder = order{name: "country:CODE.ASC", keys: []sortKey{{field: "_id"}}}

var countrySortFields = map[CountryOrderField]string{CountryByCode: "_id", CountryByName: "sortName", CountryByRegion: "region"}

var countryValues = fieldValues[Country]{
	"_id":      func(c *Country) any { return c.Code },
	"sortName": func(c *Country) any { return c.Derived.SortName },
	"region":   func(c *Country) any { return c.Region },
}

// Countries returns one page of the countries that f selects (all when nil), in the order
// given by orderBy (default: by alpha-2 code), always ending with the code as tie-break.
func (s *Store) Countries(ctx context.Context, f *CountryFilter, orderBy []*CountryOrder, p PageArgs) (*Page[Country], error) {
	o, err := buildOrder("country", orderBy, countrySortFields, countryOrder)
	if err != nil {
		return nil, err
	}
	// The whole filter is checked first: a grouping condition reads the memberships.
	if err := checkShape(f, 0, &filterShape{}, func(f *CountryFilter) (int, int) {
		n := f.Code.conditions() + f.Name.conditions() + f.Region.conditions() + f.Grouping.conditions() + boolCount(f.HasAgencyURL)
		if f.Grouping != nil {
			return n, 1
		}
		return n, 0
	}, func(f *CountryFilter) []*CountryFilter { return slices.Concat(f.And, f.Or) }); err != nil {
		return nil, err
	}
	budget := MaxFilterValues
	filter, err := s.countryFilter(ctx, f, "filter", &budget)
	if err != nil {
		return nil, err
	}
	return paginate(ctx, s, countriesColl, filter, o, p, keysOf(o, countryValues))
}

// countryFilter translates f into one filter document. The grouping condition is the one
// semi-join: FerretDB has no $lookup and no $elemMatch on documents, so it reads the
// matching memberships first (one query) and selects their countries by code.
func (s *Store) countryFilter(ctx context.Context, f *CountryFilter, arg string, budget *int) (bson.D, error) {
	if f == nil {
		return nil, nil
	}
	var conds bson.A
	c, err := translateAll(budget,
		fieldFilter{f.Code, stringField{arg: arg + ".code", exact: []string{"_id", "alpha3", "numeric"}, keys: "codeKeys", normalise: codeValue}},
		fieldFilter{f.Name, stringField{arg: arg + ".name", exact: []string{"names.text", "nameVariants.text", "nameIso"}, keys: "nameKeys"}},
		fieldFilter{f.Region, stringField{arg: arg + ".region", exact: []string{"region"}, keys: "region", normalise: slugValue}},
	)
	if err != nil {
		return nil, err
	}
	conds = append(conds, c...)
	if f.Grouping != nil {
		c, err := s.memberOf(ctx, f.Grouping, arg+".grouping", budget)
		if err != nil {
			return nil, err
		}
		conds = append(conds, c...)
	}
	if f.HasAgencyURL != nil {
		conds = append(conds, bson.D{{Key: "hasAgencyURL", Value: *f.HasAgencyURL}})
	}
	nested, err := combine(arg, f.And, f.Or, func(sub *CountryFilter, arg string) (bson.D, error) {
		return s.countryFilter(ctx, sub, arg, budget)
	})
	if err != nil {
		return nil, err
	}
	return allOf(append(conds, nested...)), nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
