package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fealac/smegraph/internal/gid"
)

// DecisionKind classifies a decision of a meeting.
type DecisionKind string

// The decision kinds.
const (
	DecisionDeclaration   DecisionKind = "DECLARATION"
	DecisionDecision      DecisionKind = "DECISION"
	DecisionPlan          DecisionKind = "PLAN"
	DecisionFramework     DecisionKind = "FRAMEWORK"
	DecisionAdmission     DecisionKind = "ADMISSION"
	DecisionInstitutional DecisionKind = "INSTITUTIONAL"
	DecisionOther         DecisionKind = "OTHER"
)

// Decision is a declaration, plan or decision adopted at a meeting, stored in the decisions
// collection under a key such as "D-FMM3-SME".
type Decision struct {
	Key string `bson:"_id"`
	// Seq orders decisions: by meeting, then as the meeting's record lists them.
	Seq     int             `bson:"seq"`
	Meeting string          `bson:"meeting"` // meeting key
	Titles  []LocalizedText `bson:"titles"`  // English first
	Kind    DecisionKind    `bson:"kind"`
	Topics  []string        `bson:"topics"` // lower-case keys, e.g. "sme"
	Summary *string         `bson:"summary"`
	// Groupings and Countries are the slugs and alpha-2 codes the decision names.
	Groupings []string `bson:"groupings"`
	Countries []string `bson:"countries"`
	Note      *string  `bson:"note"`
	Sources   []Source `bson:"sources"`
	Revision  `bson:",inline"`
	Derived   DecisionDerived `bson:",inline"`
}

// DecisionDerived holds what the store derives from a decision for filtering.
type DecisionDerived struct {
	TitleKeys    []string `bson:"titleKeys"`    // folded titles in every language
	CountryCodes []string `bson:"countryCodes"` // every ISO form of the countries it names
	CountryKeys  []string `bson:"countryKeys"`  // the same, folded, with the countries' folded names
	SortName     string   `bson:"sortName"`     // folded English title
}

func (d *Decision) derive(countries map[string]*Country) {
	dd := DecisionDerived{TitleKeys: foldAll(d.Titles), CountryCodes: []string{}, CountryKeys: []string{}, SortName: Fold(firstText(d.Titles))}
	for _, code := range d.Countries {
		if c, ok := countries[code]; ok {
			dd.CountryCodes = append(dd.CountryCodes, c.Code, c.Alpha3, c.Numeric)
			dd.CountryKeys = append(append(dd.CountryKeys, c.Derived.CodeKeys...), c.Derived.NameKeys...)
		} else {
			dd.CountryCodes = append(dd.CountryCodes, code)
			dd.CountryKeys = append(dd.CountryKeys, Fold(code))
		}
	}
	d.Derived = dd
}

// DecisionFilter selects decisions; see the GraphQL input of the same name. Meeting is a
// meeting's global ID.
type DecisionFilter struct {
	Meeting *string
	Kind    []DecisionKind
	Topic   *StringFilter
	Title   *StringFilter
	Country *StringFilter
}

// ID returns the decision's global node ID.
func (d *Decision) ID() string { return gid.Encode(gid.Decision, d.Key) }

// Decision returns the decision stored under key, or ErrNotFound.
func (s *Store) Decision(ctx context.Context, key string) (*Decision, error) {
	return findOne[Decision](ctx, s.db.Collection(decisionsColl), bson.D{{Key: "_id", Value: key}})
}
