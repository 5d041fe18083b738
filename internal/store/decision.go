package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fealac/smegraph/internal/apperr"
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

// DecisionsByKeys returns the decisions with the given keys, in no particular order.
func (s *Store) DecisionsByKeys(ctx context.Context, keys []string) ([]*Decision, error) {
	return findAll[Decision](ctx, s.db.Collection(decisionsColl), in("_id", keys), nil)
}

// DecisionsByMeetings returns the decisions of the given meetings, in Seq order.
func (s *Store) DecisionsByMeetings(ctx context.Context, keys []string) ([]*Decision, error) {
	return findAll[Decision](ctx, s.db.Collection(decisionsColl), in("meeting", keys), bson.D{{Key: "seq", Value: 1}})
}

// DecisionsByGroupings returns the decisions that name any of the given groupings, in Seq
// order.
func (s *Store) DecisionsByGroupings(ctx context.Context, slugs []string) ([]*Decision, error) {
	return findAll[Decision](ctx, s.db.Collection(decisionsColl), in("groupings", slugs), bson.D{{Key: "seq", Value: 1}})
}

var decisionOrder = order{name: "decision:seq", keys: []sortKey{{field: "seq"}, {field: "_id"}}}

// Decisions returns one page of the decisions that f selects (all when nil), by meeting and
// then as each meeting lists them. A malformed meeting ID is BAD_USER_INPUT.
func (s *Store) Decisions(ctx context.Context, f *DecisionFilter, p PageArgs) (*Page[Decision], error) {
	var conds bson.A
	if f != nil {
		if f.Meeting != nil {
			t, key, err := gid.Decode(*f.Meeting)
			if err != nil || t != gid.Meeting {
				return nil, apperr.Input("filter.meeting", "%s is not the ID of a Meeting", apperr.Quote(*f.Meeting))
			}
			conds = append(conds, bson.D{{Key: "meeting", Value: key}})
		}
		if f.Kind != nil {
			conds = append(conds, bson.D{{Key: "kind", Value: bson.D{{Key: "$in", Value: f.Kind}}}})
		}
		budget := MaxFilterValues
		c, err := translateAll(&budget,
			fieldFilter{f.Topic, stringField{arg: "filter.topic", exact: []string{"topics"}, keys: "topics", normalise: slugValue}},
			fieldFilter{f.Title, stringField{arg: "filter.title", exact: []string{"titles.text"}, keys: "titleKeys"}},
			fieldFilter{f.Country, stringField{arg: "filter.country", exact: []string{"countryCodes"}, keys: "countryKeys", normalise: codeValue}},
		)
		if err != nil {
			return nil, err
		}
		conds = append(conds, c...)
	}
	return paginate(ctx, s, decisionsColl, allOf(conds), decisionOrder, p,
		func(d *Decision) []any { return []any{d.Seq, d.Key} })
}
