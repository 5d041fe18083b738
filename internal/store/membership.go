package store

// MembershipStatus is a country's standing in a grouping.
type MembershipStatus string

// The membership statuses.
const (
	StatusMember    MembershipStatus = "MEMBER"
	StatusSuspended MembershipStatus = "SUSPENDED"
	StatusObserver  MembershipStatus = "OBSERVER"
)

// Membership is one period of a FEALAC country's membership of a grouping, stored in the
// memberships collection under "<grouping>/<country>/<since or ->".
type Membership struct {
	Key      string           `bson:"_id"`
	Grouping string           `bson:"grouping"` // slug
	Country  string           `bson:"country"`  // ISO 3166-1 alpha-2
	Status   MembershipStatus `bson:"status"`
	// Since and Until bound the period (YYYY-MM-DD, Until exclusive); nil when no source
	// gives the date.
	Since    *string  `bson:"since"`
	Until    *string  `bson:"until"`
	Sources  []Source `bson:"sources"`
	Revision `bson:",inline"`
}

func (m *Membership) derive(map[string]*Country) {}

// InForceOn reports whether the membership's period includes date (YYYY-MM-DD), whatever
// its status. An open bound (nil) includes every date on its side. This is the one rule of
// "in force on a date"; MemberOn adds the status.
func (m *Membership) InForceOn(date string) bool {
	return (m.Since == nil || *m.Since <= date) && (m.Until == nil || date < *m.Until)
}

// MemberOn reports whether the membership makes its country a full member (status MEMBER)
// of its grouping on date.
func (m *Membership) MemberOn(date string) bool {
	return m.Status == StatusMember && m.InForceOn(date)
}
