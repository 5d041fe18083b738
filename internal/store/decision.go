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

// Decisions returns one page of all decisions, by meeting and then as each meeting lists them.
func (s *Store) Decisions(ctx context.Context, p PageArgs) (*Page[Decision], error) {
	return paginate(ctx, s, decisionsColl, nil, decisionOrder, p,
		func(d *Decision) []any { return []any{d.Seq, d.Key} })
}
