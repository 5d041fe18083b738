package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fealac/smegraph/internal/apperr"
	"github.com/fealac/smegraph/internal/gid"
)

// DecisionEdit holds the fields of a decision mutation. Given names the fields sent: on
// update a field not given stays, one given as nil is cleared (summary) or refused.
type DecisionEdit struct {
	Meeting   *string // global ID
	Title     *string // English
	Kind      *DecisionKind
	Topics    []string
	Summary   *string
	Countries []string // references
	Groupings []string // references
	Titles    []LocalizedText
	Sources   []string
	Given     map[string]bool
}

// applyDecisionEdit validates e and writes it over d.
func (s *Store) applyDecisionEdit(ctx context.Context, d *Decision, e DecisionEdit, creating bool, countries map[string]*Country) Problems {
	var p Problems
	given := func(f string) bool { return creating || e.Given[f] }
	if creating {
		t, key, err := gid.Decode(deref(e.Meeting))
		if err != nil || t != gid.Meeting {
			p.add("meeting", apperr.BadUserInput, "%s is not the ID of a Meeting", apperr.Quote(deref(e.Meeting)))
		} else if _, err := s.Meeting(ctx, key); errors.Is(err, ErrNotFound) {
			p.add("meeting", apperr.NotFound, "no such meeting")
		} else {
			d.Meeting = key
		}
	}
	titles := d.Titles
	if given("titles") {
		titles = checkTexts("titles", e.Titles, &p)
		if en := englishOf(d.Titles); en != nil && englishOf(titles) == nil {
			titles = withEnglish(titles, en)
		}
	}
	if given("title") {
		if t := trimmedOrNil(e.Title); t == nil {
			p.add("title", apperr.BadUserInput, "must not be blank")
		} else if msg := checkText(*t); msg != "" {
			p.add("title", apperr.BadUserInput, "%s", msg)
		} else {
			titles = withEnglish(titles, t)
		}
	}
	if given("summary") && e.Summary != nil && len([]rune(*e.Summary)) > 5000 {
		p.add("summary", apperr.BadUserInput, "at most 5,000 characters")
	}
	d.Titles = withEnglish(titles, englishOf(titles))
	if given("kind") {
		if e.Kind == nil {
			p.add("kind", apperr.BadUserInput, "must not be null")
		} else {
			d.Kind = *e.Kind
		}
	}
	for field, n := range map[string]int{"topics": len(e.Topics), "countries": len(e.Countries), "groupings": len(e.Groupings)} {
		if n > 50 {
			p.add(field, apperr.BadUserInput, "at most 50 values")
		}
	}
	if len(p) > 0 {
		return p // each reference costs a lookup: refuse long lists before any
	}
	if given("topics") {
		d.Topics = []string{}
		for _, t := range e.Topics {
			if t = strings.ToLower(strings.TrimSpace(t)); len(t) > 50 || strings.IndexFunc(t, unicode.IsControl) >= 0 {
				p.add("topics", apperr.BadUserInput, "a topic is a key of at most 50 characters")
			} else if t != "" && !slices.Contains(d.Topics, t) {
				d.Topics = append(d.Topics, t)
			}
		}
	}
	if given("summary") {
		d.Summary = trimmedOrNil(e.Summary)
	}
	if given("countries") {
		d.Countries = []string{}
		for i, ref := range e.Countries {
			if c := s.countryRef(ctx, fmt.Sprintf("countries[%d]", i), ref, &p); c != nil && !slices.Contains(d.Countries, c.Code) {
				d.Countries = append(d.Countries, c.Code)
				countries[c.Code] = c
			}
		}
	}
	if given("groupings") {
		d.Groupings = []string{}
		for i, ref := range e.Groupings {
			if g := s.groupingRef(ctx, fmt.Sprintf("groupings[%d]", i), ref, &p); g != nil && !slices.Contains(d.Groupings, g.Slug) {
				d.Groupings = append(d.Groupings, g.Slug)
			}
		}
	}
	if given("sources") {
		srcs, err := SourcesFrom(e.Sources)
		switch {
		case err != nil:
			p.add("sources", apperr.BadUserInput, "%s", err)
		case len(srcs) == 0:
			p.add("sources", apperr.BadUserInput, "give at least one source: a URL or a document's name")
		default:
			d.Sources = srcs
		}
	}
	return p
}

// deref returns *s, or "" when s is nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// CreateDecision records a decision of a meeting. Admins only.
func (s *Store) CreateDecision(ctx context.Context, a *Actor, e DecisionEdit) (*Decision, error) {
	if a.Role != RoleAdmin {
		return nil, forbidden("record decisions")
	}
	d := &Decision{Topics: []string{}, Countries: []string{}, Groupings: []string{}, Sources: []Source{}}
	countries := map[string]*Country{}
	if p := s.applyDecisionEdit(ctx, d, e, true, countries); len(p) > 0 {
		return nil, p
	}
	// Seq is the last one plus one; concurrent creations may share one, ordered by key.
	for attempt := 0; ; attempt++ {
		var last Decision
		err := s.db.Collection(decisionsColl).FindOne(ctx, bson.D{}, options.FindOne().SetSort(bson.D{{Key: "seq", Value: -1}})).Decode(&last)
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return nil, fmt.Errorf("last decision: %w", err)
		}
		d.Seq = last.Seq + 1
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		d.Key = "D-" + d.Meeting + "-" + strings.ToUpper(hex.EncodeToString(b))
		at := changeTime()
		d.Revision = Revision{Version: 1, UpdatedAt: at}
		d.derive(countries)
		_, err = s.record(ctx, mutation{actor: a.Name, op: OpCreate, coll: decisionsColl, key: d.Key, node: d.ID(),
			nodeType: string(gid.Decision), version: 1, after: d, countries: d.Countries, at: at})
		if errors.Is(err, ErrConflict) && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return d, nil
	}
}

// UpdateDecision changes the decision stored under key, if its version is still expected.
// Admins only.
func (s *Store) UpdateDecision(ctx context.Context, a *Actor, key string, expected int, e DecisionEdit) (*Decision, error) {
	if a.Role != RoleAdmin {
		return nil, forbidden("change decisions")
	}
	old, err := s.Decision(ctx, key)
	if err != nil {
		return nil, err
	}
	d := *old
	d.Titles, d.Topics, d.Countries, d.Groupings, d.Sources = slices.Clone(old.Titles), slices.Clone(old.Topics),
		slices.Clone(old.Countries), slices.Clone(old.Groupings), slices.Clone(old.Sources)
	countries := map[string]*Country{}
	if p := s.applyDecisionEdit(ctx, &d, e, false, countries); len(p) > 0 {
		return nil, p
	}
	if old.Version != expected {
		return nil, &ConflictError{Current: old.Version}
	}
	for _, code := range d.Countries {
		if _, ok := countries[code]; !ok {
			if c, err := s.Country(ctx, code); err == nil {
				countries[code] = c
			}
		}
	}
	d.derive(countries)
	if same, err := sameBSON(&d, old); err != nil || same {
		return old, err // nothing changes
	}
	at := changeTime()
	d.Revision = Revision{Version: old.Version + 1, UpdatedAt: at}
	d.derive(countries)
	if _, err := s.record(ctx, mutation{actor: a.Name, op: OpUpdate, coll: decisionsColl, key: key, node: d.ID(),
		nodeType: string(gid.Decision), version: d.Version, before: old, after: &d,
		countries: slices.Compact(slices.Sorted(slices.Values(slices.Concat(old.Countries, d.Countries)))), at: at}); err != nil {
		return nil, err
	}
	return &d, nil
}
