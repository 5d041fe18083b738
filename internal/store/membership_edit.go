package store

import (
	"context"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fealac/smegraph/internal/apperr"
)

// MembershipEdit holds the fields of upsertMembership.
type MembershipEdit struct {
	Country, Grouping string // references: global ID, ISO code or slug
	Status            MembershipStatus
	Since, Until      *string // YYYY-MM-DD
	Sources           []string
	ExpectedVersion   *int
}

// membershipKey returns the stored key of a membership period.
func membershipKey(grouping, country string, since *string) string {
	s := "-"
	if since != nil {
		s = *since
	}
	return grouping + "/" + country + "/" + s
}

// UpsertMembership adds a membership period, or changes the one with the same grouping,
// country and start when its version is still e.ExpectedVersion (required then).
func (s *Store) UpsertMembership(ctx context.Context, a *Actor, e MembershipEdit) (*Membership, error) {
	var p Problems
	c := s.countryRef(ctx, "country", e.Country, &p)
	g := s.groupingRef(ctx, "grouping", e.Grouping, &p)
	if e.Since != nil && e.Until != nil && *e.Until <= *e.Since {
		p.add("until", apperr.BadUserInput, "must be after since (%s)", *e.Since)
	}
	srcs, err := SourcesFrom(e.Sources)
	if err != nil {
		p.add("sources", apperr.BadUserInput, "%s", err)
	} else if len(srcs) == 0 {
		p.add("sources", apperr.BadUserInput, "give at least one source: a URL or a document's name")
	}
	if len(p) > 0 {
		return nil, p
	}
	if err := s.checkMembershipRights(a, c, g); err != nil {
		return nil, err
	}
	key := membershipKey(g.Slug, c.Code, e.Since)
	periods, err := findAll[Membership](ctx, s.db.Collection(membershipsColl),
		bson.D{{Key: "grouping", Value: g.Slug}, {Key: "country", Value: c.Code}}, nil)
	if err != nil {
		return nil, err
	}
	var old *Membership
	for _, m := range periods {
		if m.Key == key {
			old = m
			continue
		}
		// Periods of one country in one grouping may not overlap: asOf must have one answer.
		if overlaps(m.Since, m.Until, e.Since, e.Until) {
			return nil, Problems{{Field: "since", Code: apperr.BadUserInput,
				Message: fmt.Sprintf("overlaps the period from %s to %s; end it first (endMembership)", orDash(m.Since), orDash(m.Until))}}
		}
	}
	at := changeTime()
	m := &Membership{Key: key, Grouping: g.Slug, Country: c.Code, Status: e.Status, Since: e.Since, Until: e.Until, Sources: srcs}
	mut := mutation{actor: a.Name, coll: membershipsColl, key: key, node: g.ID(), nodeType: "Membership",
		after: m, countries: []string{c.Code}, at: at}
	if old == nil {
		if e.ExpectedVersion != nil && *e.ExpectedVersion != 0 {
			return nil, ErrConflict
		}
		m.Revision = Revision{Version: 1, UpdatedAt: at}
		mut.op, mut.version = OpCreate, 1
	} else {
		if e.ExpectedVersion == nil || *e.ExpectedVersion != old.Version {
			return nil, &ConflictError{Current: old.Version}
		}
		m.Revision = old.Revision
		if same, err := sameBSON(m, old); err != nil || same {
			return old, err // nothing changes
		}
		m.Revision = Revision{Version: old.Version + 1, UpdatedAt: at}
		mut.op, mut.version, mut.before = OpUpdate, m.Version, old
	}
	if _, err := s.record(ctx, mut); err != nil {
		return nil, err
	}
	return m, nil
}

// EndMembership sets the end (until, exclusive) of the period of grouping and country that
// starts on since, when its version is still expected.
func (s *Store) EndMembership(ctx context.Context, a *Actor, country, grouping string, since *string, until string, expected int) (*Membership, error) {
	var p Problems
	c := s.countryRef(ctx, "country", country, &p)
	g := s.groupingRef(ctx, "grouping", grouping, &p)
	if len(p) > 0 {
		return nil, p
	}
	if err := s.checkMembershipRights(a, c, g); err != nil {
		return nil, err
	}
	old, err := findOne[Membership](ctx, s.db.Collection(membershipsColl), bsonID(membershipKey(g.Slug, c.Code, since)))
	if err == ErrNotFound {
		return nil, Problems{{Field: "since", Message: "no such membership period", Code: apperr.NotFound}}
	}
	if err != nil {
		return nil, err
	}
	if old.Since != nil && until <= *old.Since {
		return nil, Problems{{Field: "until", Message: "must be after since (" + *old.Since + ")", Code: apperr.BadUserInput}}
	}
	if old.Version != expected {
		return nil, &ConflictError{Current: old.Version}
	}
	m := *old
	m.Sources = slices.Clone(old.Sources)
	m.Until = &until
	at := changeTime()
	m.Revision = Revision{Version: old.Version + 1, UpdatedAt: at}
	if _, err := s.record(ctx, mutation{actor: a.Name, op: OpUpdate, coll: membershipsColl, key: m.Key, node: g.ID(),
		nodeType: "Membership", version: m.Version, before: old, after: &m, countries: []string{c.Code}, at: at}); err != nil {
		return nil, err
	}
	return &m, nil
}

// checkMembershipRights refuses what actor a may not change about country c in grouping g:
// editors change their countries' memberships, but only admins change who belongs to FEALAC
// and its regions, and a country's region membership must be its region.
func (s *Store) checkMembershipRights(a *Actor, c *Country, g *Grouping) error {
	if !a.mayChange(c.Code) {
		return forbidden("change memberships of " + c.Code)
	}
	if (g.Kind == GroupingForum || g.Kind == GroupingRegion) && a.Role != RoleAdmin {
		return forbidden("change memberships of FEALAC or its regions")
	}
	if g.Kind == GroupingRegion && g.Slug != c.Region {
		return Problems{{Field: "grouping", Code: apperr.BadUserInput, Message: c.Code + "'s region is " + c.Region}}
	}
	return nil
}

// overlaps reports whether the periods [s1, u1) and [s2, u2) share a day; nil bounds are open.
func overlaps(s1, u1, s2, u2 *string) bool {
	before := func(a, b *string) bool { return a != nil && b != nil && *a <= *b } // a ends by b's start
	return !before(u1, s2) && !before(u2, s1)
}

// orDash returns *s, or "-" for an open bound.
func orDash(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}
