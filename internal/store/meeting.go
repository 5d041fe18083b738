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
	Derived   MeetingDerived `bson:",inline"`
}

// MeetingDerived holds what the store derives from a meeting for filtering and ordering.
type MeetingDerived struct {
	HostCodes []string `bson:"hostCodes"` // the host's alpha-2, alpha-3 and numeric codes
	HostKeys  []string `bson:"hostKeys"`  // the same, folded, with the host's folded names
	SortStart string   `bson:"sortStart"` // StartDate, or "~" (after every date) when unknown
	TitleKeys []string `bson:"titleKeys"` // folded title and city
	SortName  string   `bson:"sortName"`  // folded title
}

func (m *Meeting) derive(countries map[string]*Country) {
	d := MeetingDerived{HostCodes: []string{m.Host}, HostKeys: []string{Fold(m.Host)}, SortStart: "~",
		TitleKeys: []string{Fold(m.Title), Fold(m.City)}, SortName: Fold(m.Title)}
	if m.StartDate != nil {
		d.SortStart = *m.StartDate
	}
	if c, ok := countries[m.Host]; ok {
		d.HostCodes = []string{c.Code, c.Alpha3, c.Numeric}
		d.HostKeys = append(append([]string{}, c.Derived.CodeKeys...), c.Derived.NameKeys...)
	}
	m.Derived = d
}

// MeetingFilter selects meetings; see the GraphQL input of the same name.
type MeetingFilter struct {
	Host     *StringFilter
	YearFrom *int
	YearTo   *int
}

// MeetingOrderField is a sort key of the meetings connection.
type MeetingOrderField string

// The meeting sort keys.
const (
	MeetingByNumber    MeetingOrderField = "NUMBER"
	MeetingByStartDate MeetingOrderField = "START_DATE"
)

// MeetingOrder is one sort key of the meeting connection with its direction.
type MeetingOrder = Order[MeetingOrderField]

// ID returns the meeting's global node ID.
func (m *Meeting) ID() string { return gid.Encode(gid.Meeting, m.Key) }

// Meeting returns the meeting stored under key, or ErrNotFound.
func (s *Store) Meeting(ctx context.Context, key string) (*Meeting, error) {
	return findOne[Meeting](ctx, s.db.Collection(meetingsColl), bson.D{{Key: "_id", Value: key}})
}
