package store

import (
	"cmp"
	"context"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/sync/errgroup"

	"github.com/fealac/smegraph/internal/apperr"
)

// SearchType is a node type that search covers.
type SearchType string

// The searchable types, in the order they break ties.
const (
	SearchCountry  SearchType = "COUNTRY"
	SearchAgency   SearchType = "AGENCY"
	SearchGrouping SearchType = "GROUPING"
	SearchMeeting  SearchType = "MEETING"
	SearchDecision SearchType = "DECISION"
)

// MaxSearchText bounds the search text, in characters: matching time grows with it.
const MaxSearchText = 100

// Search scores: higher is better.
const (
	ScoreExactCode = 4.0 // the text is a code (any ISO form), a slug or an acronym
	ScoreExactName = 3.0 // the text is a whole name or title, in any language
	ScorePrefix    = 2.0 // a name, title, code or acronym starts with the text
	ScoreSubstring = 1.0 // one contains it
)

// Hit is one search result: the node (*Country, *Agency, *Grouping, *Meeting or *Decision)
// and its score.
type Hit struct {
	Score    float64
	Node     any
	kind     int
	sortName string
	key      string
}

// Search finds the nodes of the given types (all when nil, none when empty) whose codes, slugs, acronyms,
// names in any language or titles contain text, ignoring case and accents and treating every
// character literally. Hits are ranked by score (exact code or acronym, exact name, prefix,
// substring), then by English name, then by type; at most first are returned. Empty or blank
// text is BAD_USER_INPUT.
//
// Each type costs three concurrent queries: exact matches, then the first `first` prefix and
// substring matches by name, so the best `first` hits are found without reading every match.
func (s *Store) Search(ctx context.Context, text string, types []SearchType, first int) ([]*Hit, error) {
	if utf8.RuneCountInString(text) > MaxSearchText {
		return nil, apperr.Input("text", "at most %d characters", MaxSearchText)
	}
	q := Fold(text)
	if q == "" {
		return nil, apperr.Input("text", "must contain something to search for")
	}
	if types == nil {
		types = []SearchType{SearchCountry, SearchAgency, SearchGrouping, SearchMeeting, SearchDecision}
	}
	types = slices.Compact(slices.Sorted(slices.Values(types)))
	if first == 0 {
		return []*Hit{}, nil
	}
	var (
		g       errgroup.Group
		results = make([][]*Hit, len(types))
	)
	for i, t := range types {
		g.Go(func() error {
			var err error
			switch t {
			case SearchCountry:
				results[i], err = searchIn(ctx, s, countriesColl, q, first, 0, []string{"codeKeys"}, []string{"nameKeys"},
					func(c *Country) (string, string, []string, []string) {
						return c.Code, c.Derived.SortName, c.Derived.CodeKeys, c.Derived.NameKeys
					})
			case SearchAgency:
				results[i], err = searchIn(ctx, s, agenciesColl, q, first, 1, nil, []string{"nameKeys"},
					func(a *Agency) (string, string, []string, []string) {
						// Ties go by the name itself; a nameless agency comes after every name.
						return a.Key, cmp.Or(Fold(firstText(a.Names)), "~"), foldPtr(a.Acronym), a.Derived.NameKeys
					})
			case SearchGrouping:
				results[i], err = searchIn(ctx, s, groupingsColl, q, first, 2, []string{"_id"}, []string{"nameKeys"},
					func(g *Grouping) (string, string, []string, []string) {
						return g.Slug, g.SortName, append([]string{g.Slug}, foldPtr(g.Acronym)...), g.NameKeys
					})
			case SearchMeeting:
				results[i], err = searchIn(ctx, s, meetingsColl, q, first, 3, nil, []string{"titleKeys"},
					func(m *Meeting) (string, string, []string, []string) {
						return m.Key, m.Derived.SortName, nil, m.Derived.TitleKeys
					})
			case SearchDecision:
				results[i], err = searchIn(ctx, s, decisionsColl, q, first, 4, nil, []string{"titleKeys"},
					func(d *Decision) (string, string, []string, []string) {
						return d.Key, d.Derived.SortName, nil, d.Derived.TitleKeys
					})
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	hits := slices.Concat(results...)
	slices.SortFunc(hits, func(a, b *Hit) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.sortName, b.sortName), cmp.Compare(a.kind, b.kind), cmp.Compare(a.key, b.key))
	})
	return hits[:min(first, len(hits))], nil
}

// searchIn runs the three queries of one type (exact, prefix, substring over the code and
// name key fields) and scores what they return. fields returns a document's key, sort name,
// folded codes or acronyms, and folded names.
func searchIn[T any](ctx context.Context, s *Store, coll, q string, first, kind int, codeFields, nameFields []string,
	fields func(*T) (key, sortName string, codes, names []string)) ([]*Hit, error) {
	all := slices.Concat(codeFields, nameFields)
	anyField := func(cond any) bson.D {
		or := bson.A{}
		for _, f := range all {
			or = append(or, bson.D{{Key: f, Value: cond}})
		}
		return bson.D{{Key: "$or", Value: or}}
	}
	c := s.db.Collection(coll)
	// Batches one larger than the limit close the cursor in the first reply (see paginate).
	byName := options.Find().SetSort(bson.D{{Key: "sortName", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(first)).SetBatchSize(int32(first) + 1)
	seen := map[string]*Hit{}
	exact := bson.D{{Key: "$in", Value: bson.A{q, strings.ToLower(codeValue(q))}}}
	for _, query := range []struct {
		filter bson.D
		opts   *options.FindOptionsBuilder
	}{
		{anyField(exact), options.Find().SetLimit(int64(first)).SetBatchSize(int32(first) + 1)},
		{anyField(bson.D{{Key: "$regex", Value: "^" + regexp.QuoteMeta(q)}}), byName},
		{anyField(bson.D{{Key: "$regex", Value: regexp.QuoteMeta(q)}}), byName},
	} {
		cur, err := c.Find(ctx, query.filter, query.opts)
		if err != nil {
			return nil, err
		}
		var docs []*T
		if err := cur.All(ctx, &docs); err != nil {
			return nil, err
		}
		for _, d := range docs {
			key, sortName, codes, names := fields(d)
			if seen[key] != nil {
				continue
			}
			seen[key] = &Hit{Score: score(q, codes, names), Node: d, kind: kind, sortName: sortName, key: key}
		}
	}
	out := make([]*Hit, 0, len(seen))
	for _, h := range seen {
		out = append(out, h)
	}
	return out, nil
}

// score rates how well the folded text q matches a node's folded codes and names. A
// numeric text of one or two digits is also an exact code zero-padded ("32" is 032).
func score(q string, codes, names []string) float64 {
	best := 0.0
	padded := strings.ToLower(codeValue(q))
	for _, c := range codes {
		if c == q || c == padded {
			return ScoreExactCode
		}
	}
	for _, group := range [][]string{codes, names} {
		for _, k := range group {
			switch {
			case k == q:
				best = max(best, ScoreExactName)
			case strings.HasPrefix(k, q):
				best = max(best, ScorePrefix)
			case strings.Contains(k, q):
				best = max(best, ScoreSubstring)
			}
		}
	}
	return best
}

// foldPtr returns the folded *s as a one-element list, or nil.
func foldPtr(s *string) []string {
	if s == nil {
		return nil
	}
	return []string{Fold(*s)}
}
