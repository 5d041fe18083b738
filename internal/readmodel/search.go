package readmodel

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/fealac/smegraph/internal/apperr"
	"github.com/fealac/smegraph/internal/store"
)

// MaxSearchText bounds the search text, in characters.
const MaxSearchText = 100

// Search scores: higher is better.
const (
	ScoreExactCode = 4.0 // the text is a code (any ISO form), a slug or an acronym
	ScoreExactName = 3.0 // the text is a whole name or title, in any language
	ScorePrefix    = 2.0 // a name, title, code or acronym starts with the text
	ScoreSubstring = 1.0 // one contains it
)

// Hit is one search result: the node (*store.Country, *store.Agency, *store.Grouping,
// *store.Meeting or *store.Decision) and its score.
type Hit struct {
	Score    float64
	Node     any
	kind     int
	sortName string
	key      string
}

// Search finds the nodes of the given types (all when nil, none when empty) whose codes,
// slugs, acronyms, names in any language or titles contain text, ignoring case and accents
// and treating every character literally. Hits are ranked by score (exact code or acronym,
// exact name, prefix, substring), then by English name, then by type, then by key; at most
// first are returned. Empty or blank text, or text over MaxSearchText characters, is
// BAD_USER_INPUT naming text.
func (s *Snapshot) Search(text string, types []store.SearchType, first int) ([]*Hit, error) {
	if utf8.RuneCountInString(text) > MaxSearchText {
		return nil, apperr.Input("text", "at most %d characters", MaxSearchText)
	}
	q := store.Fold(text)
	if q == "" {
		return nil, apperr.Input("text", "must contain something to search for")
	}
	if types == nil {
		types = []store.SearchType{store.SearchCountry, store.SearchAgency, store.SearchGrouping, store.SearchMeeting, store.SearchDecision}
	}
	if first == 0 {
		return []*Hit{}, nil
	}
	padded := strings.ToLower(store.CodeValue(q))
	var hits []*Hit
	for _, t := range slices.Compact(slices.Sorted(slices.Values(types))) {
		switch t {
		case store.SearchCountry:
			hits = searchIn(hits, s.countries.all, q, padded, 0, func(c *store.Country) (string, string, []string, []string) {
				return c.Code, c.Derived.SortName, c.Derived.CodeKeys, c.Derived.NameKeys
			})
		case store.SearchAgency:
			hits = searchIn(hits, s.agencies.all, q, padded, 1, func(a *store.Agency) (string, string, []string, []string) {
				// Ties go by the name itself; a nameless agency comes after every name.
				name := "~"
				if len(a.Names) > 0 {
					name = strings.TrimPrefix(a.Derived.SortName, "1")
				}
				return a.Key, name, foldedOptional(a.Acronym), a.Derived.NameKeys
			})
		case store.SearchGrouping:
			hits = searchIn(hits, s.groupings.all, q, padded, 2, func(g *store.Grouping) (string, string, []string, []string) {
				return g.Slug, g.SortName, append([]string{g.Slug}, foldedOptional(g.Acronym)...), g.NameKeys
			})
		case store.SearchMeeting:
			hits = searchIn(hits, s.meetings.all, q, padded, 3, func(m *store.Meeting) (string, string, []string, []string) {
				return m.Key, m.Derived.SortName, nil, m.Derived.TitleKeys
			})
		case store.SearchDecision:
			hits = searchIn(hits, s.decisions.all, q, padded, 4, func(d *store.Decision) (string, string, []string, []string) {
				return d.Key, d.Derived.SortName, nil, d.Derived.TitleKeys
			})
		}
	}
	slices.SortFunc(hits, func(a, b *Hit) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.sortName, b.sortName), cmp.Compare(a.kind, b.kind), cmp.Compare(a.key, b.key))
	})
	return hits[:min(first, len(hits))], nil
}

// searchIn appends the hits among docs. fields returns a document's key, sort name, folded
// codes or acronyms, and folded names.
func searchIn[T any](hits []*Hit, docs []*T, q, padded string, kind int, fields func(*T) (key, sortName string, codes, names []string)) []*Hit {
	for _, d := range docs {
		key, sortName, codes, names := fields(d)
		if sc := score(q, padded, codes, names); sc > 0 {
			hits = append(hits, &Hit{Score: sc, Node: d, kind: kind, sortName: sortName, key: key})
		}
	}
	return hits
}

// score rates how well the folded text q matches a node's folded codes and names; 0 when it
// does not. A numeric text of one or two digits is also an exact code zero-padded ("32" is
// 032): padded is that form.
func score(q, padded string, codes, names []string) float64 {
	for _, c := range codes {
		if c == q || c == padded {
			return ScoreExactCode
		}
	}
	best := 0.0
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

// foldedOptional returns the folded *s as a one-element list, or nil.
func foldedOptional(s *string) []string {
	if s == nil {
		return nil
	}
	return []string{store.Fold(*s)}
}
