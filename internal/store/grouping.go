package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fealac/smegraph/internal/gid"
)

// GroupingKind classifies a grouping of countries.
type GroupingKind string

// The grouping kinds.
const (
	GroupingForum         GroupingKind = "FORUM"
	GroupingRegion        GroupingKind = "REGION"
	GroupingTradeBloc     GroupingKind = "TRADE_BLOC"
	GroupingEconomicForum GroupingKind = "ECONOMIC_FORUM"
	GroupingWorkingGroup  GroupingKind = "WORKING_GROUP"
)

// Grouping is a set of countries: FEALAC itself, its two regions, a trade bloc, APEC, or a
// FEALAC working group. It is stored in the groupings collection under its slug.
type Grouping struct {
	// Slug is the stable lower-case key, e.g. "fealac", "east-asia", "mercosur".
	Slug    string          `bson:"_id"`
	Kind    GroupingKind    `bson:"kind"`
	Names   []LocalizedText `bson:"names"`
	Acronym *string         `bson:"acronym"`
	// Parent is the slug of the enclosing grouping (FEALAC for regions and working groups).
	Parent *string `bson:"parent"`
	// Position orders groupings for display: the forum, its regions, blocs, working groups.
	Position int `bson:"position"`
	// ExternalMembers are members that are not FEALAC countries (Timor-Leste in ASEAN,
	// Belize in SICA, six APEC economies); they are not Country nodes.
	ExternalMembers []ExternalMember `bson:"externalMembers"`
	Note            *string          `bson:"note"`
	Sources         []Source         `bson:"sources"`
	Revision        `bson:",inline"`
	NameKeys        []string `bson:"nameKeys"` // derived: folded names and acronym
	SortName        string   `bson:"sortName"` // derived: folded English name
}

func (g *Grouping) derive(map[string]*Country) {
	g.SortName = Fold(firstText(g.Names))
	g.NameKeys = foldAll(g.Names)
	if g.Acronym != nil {
		g.NameKeys = append(g.NameKeys, Fold(*g.Acronym))
	}
}

// GroupingFilter selects groupings; see the GraphQL input of the same name.
type GroupingFilter struct {
	Slug *StringFilter
	Kind []GroupingKind
	Name *StringFilter
}

// ExternalMember is a member of a grouping that is not a FEALAC member country.
type ExternalMember struct {
	// Code is the ISO 3166-1 alpha-2 code (APEC economies such as "HK" included).
	Code    string   `bson:"code"`
	Name    string   `bson:"name"`
	Since   *string  `bson:"since"` // YYYY-MM-DD, nil when no source gives it
	Sources []Source `bson:"sources"`
}

// ID returns the grouping's global node ID.
func (g *Grouping) ID() string { return gid.Encode(gid.Grouping, g.Slug) }

// Grouping returns the grouping with the given slug, or ErrNotFound.
func (s *Store) Grouping(ctx context.Context, slug string) (*Grouping, error) {
	return findOne[Grouping](ctx, s.db.Collection(groupingsColl), bson.D{{Key: "_id", Value: slug}})
}
