package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fealac/smegraph/internal/gid"
)

// MeetingKind classifies a FEALAC meeting.
type MeetingKind string

// MeetingFMM is a Foreign Ministers' Meeting, FEALAC's highest decision-making body.
const MeetingFMM MeetingKind = "FOREIGN_MINISTERS_MEETING"

// Meeting is a FEALAC meeting, stored in the meetings collection under a key such as "FMM-3".
type Meeting struct {
	Key    string      `bson:"_id"`
	Kind   MeetingKind `bson:"kind"`
	Number int         `bson:"number"` // 1 for the 1st FMM (Santiago, 2001)
	Title  string      `bson:"title"`
	City   string      `bson:"city"`
	Host   string      `bson:"host"` // ISO 3166-1 alpha-2
	Year   int         `bson:"year"`
	// StartDate and EndDate are YYYY-MM-DD; DateBasis says whether a source states them or
	// they were worked out from one.
	StartDate *string  `bson:"startDate"`
	EndDate   *string  `bson:"endDate"`
	DateBasis string   `bson:"dateBasis"`
	Theme     *string  `bson:"theme"`
	CoChairs  []string `bson:"coChairs"` // alpha-2 codes; empty when no source names them
	Sources   []Source `bson:"sources"`
	Revision  `bson:",inline"`
}

// ID returns the meeting's global node ID.
func (m *Meeting) ID() string { return gid.Encode(gid.Meeting, m.Key) }

// Meeting returns the meeting stored under key, or ErrNotFound.
func (s *Store) Meeting(ctx context.Context, key string) (*Meeting, error) {
	return findOne[Meeting](ctx, s.db.Collection(meetingsColl), bson.D{{Key: "_id", Value: key}})
}

// MeetingsByKeys returns the meetings with the given keys, in no particular order.
func (s *Store) MeetingsByKeys(ctx context.Context, keys []string) ([]*Meeting, error) {
	return findAll[Meeting](ctx, s.db.Collection(meetingsColl), in("_id", keys), nil)
}

// MeetingsByHosts returns the meetings hosted by the given countries, ordered by host and
// number.
func (s *Store) MeetingsByHosts(ctx context.Context, codes []string) ([]*Meeting, error) {
	return findAll[Meeting](ctx, s.db.Collection(meetingsColl), in("host", codes),
		bson.D{{Key: "host", Value: 1}, {Key: "number", Value: 1}})
}

var meetingOrder = order{name: "meeting:number", keys: []sortKey{{field: "number"}, {field: "_id"}}}

// Meetings returns one page of all meetings, ordered by number.
func (s *Store) Meetings(ctx context.Context, p PageArgs) (*Page[Meeting], error) {
	return paginate(ctx, s, meetingsColl, nil, meetingOrder, p,
		func(m *Meeting) []any { return []any{m.Number, m.Key} })
}
