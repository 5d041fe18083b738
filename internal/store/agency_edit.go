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

	"github.com/fealac/smegraph/internal/apperr"
	"github.com/fealac/smegraph/internal/gid"
)

// AgencyEdit holds the fields of an agency mutation. Given names the fields the client sent:
// on update a field not given stays as it is, and one given as nil is cleared.
type AgencyEdit struct {
	Country *string // global ID or ISO code in any form
	Name    *string // English
	Acronym *string
	Kind    *AgencyKind
	URL     *string
	Names   []LocalizedText
	Sources []string // replace the agency's sources when given
	Given   map[string]bool
	// Nameless allows creating an agency without a name (imports of the interconnectivity
	// list, which gives only an address); the API always asks for one.
	Nameless bool
}

// provenance returns the source recording that a record was entered or changed through
// smegraph, and when; who did it is in the audit trail, which needs a token to read.
func provenance(verb, at string) Source {
	return Source{Title: fmt.Sprintf("%s through smegraph on %s", verb, at)}
}

// Bounds of agency fields, in characters (names: maxTextLen).
const (
	maxAcronymLen = 50
	maxURLLen     = 2000
)

// applyAgencyEdit validates e and writes it over ag (a copy of the stored agency, or a new
// one), resolving the country into countries for the derived fields.
func (s *Store) applyAgencyEdit(ctx context.Context, ag *Agency, e AgencyEdit, creating bool, countries map[string]*Country) Problems {
	var p Problems
	given := func(f string) bool { return creating || e.Given[f] }
	if given("country") {
		if e.Country == nil {
			p.add("country", apperr.BadUserInput, "must not be null")
		} else if c := s.countryRef(ctx, "country", *e.Country, &p); c != nil {
			ag.Country = c.Code
			countries[c.Code] = c
		}
	}
	names := ag.Names
	if given("names") {
		names = checkTexts("names", e.Names, &p)
		if !slices.ContainsFunc(names, func(t LocalizedText) bool { return t.Lang == "en" }) {
			// Keep the English name unless the names given replace it.
			if i := slices.IndexFunc(ag.Names, func(t LocalizedText) bool { return t.Lang == "en" }); i >= 0 {
				names = append([]LocalizedText{ag.Names[i]}, names...)
			}
		}
	}
	if given("name") {
		switch name := trimmedOrNil(e.Name); {
		case creating && name == nil && !e.Nameless:
			p.add("name", apperr.BadUserInput, "must not be blank")
		case e.Name != nil && name == nil:
			p.add("name", apperr.BadUserInput, "must not be blank (send null to remove the name)")
		default:
			names = withEnglish(names, name)
		}
	}
	ag.Names = withEnglish(names, englishOf(names))
	if given("name") && e.Name != nil {
		if msg := checkText(*e.Name); msg != "" && trimmedOrNil(e.Name) != nil {
			p.add("name", apperr.BadUserInput, "%s", msg)
		}
	}
	if given("acronym") {
		ag.Acronym = trimmedOrNil(e.Acronym)
		if ag.Acronym != nil && (len([]rune(*ag.Acronym)) > maxAcronymLen || strings.IndexFunc(*ag.Acronym, unicode.IsControl) >= 0) {
			p.add("acronym", apperr.BadUserInput, "at most %d characters, no control characters", maxAcronymLen)
		}
	}
	if e.Given["sources"] {
		srcs, err := SourcesFrom(e.Sources)
		switch {
		case err != nil:
			p.add("sources", apperr.BadUserInput, "%s", err)
		case len(srcs) == 0:
			p.add("sources", apperr.BadUserInput, "give at least one source, or leave sources out")
		default:
			ag.Sources = srcs
		}
	}
	if given("kind") {
		switch {
		case e.Kind != nil:
			ag.Kind = *e.Kind
		case creating:
			ag.Kind = AgencyOther
		default:
			p.add("kind", apperr.BadUserInput, "must not be null")
		}
	}
	if given("url") {
		ag.URL = nil
		if u := trimmedOrNil(e.URL); u != nil {
			norm, err := NormaliseURL(*u)
			if err == nil && len(norm) > maxURLLen {
				err = fmt.Errorf("is longer than %d characters", maxURLLen)
			}
			if err != nil {
				p.add("url", apperr.BadUserInput, "%s %s", apperr.Quote(*u), err)
			} else {
				ag.URL = &norm
			}
		}
	}
	return p
}

// englishOf returns the English text of ts, or nil.
func englishOf(ts []LocalizedText) *string {
	for i := range ts {
		if ts[i].Lang == "en" {
			return &ts[i].Text
		}
	}
	return nil
}

// CreateAgency adds an agency for actor a. Validation problems are Problems; a country out
// of an editor's scope is FORBIDDEN.
func (s *Store) CreateAgency(ctx context.Context, a *Actor, e AgencyEdit) (*Agency, error) {
	ag := &Agency{Sources: []Source{}}
	countries := map[string]*Country{}
	if p := s.applyAgencyEdit(ctx, ag, e, true, countries); len(p) > 0 {
		return nil, p
	}
	if !a.mayChange(ag.Country) {
		return nil, forbidden("add agencies to " + ag.Country)
	}
	if en := englishOf(ag.Names); en != nil {
		existing, err := s.AgenciesByCountries(ctx, []string{ag.Country})
		if err != nil {
			return nil, err
		}
		for _, other := range existing {
			if o := englishOf(other.Names); o != nil && strings.EqualFold(*o, *en) {
				return nil, Problems{{Field: "name", Code: apperr.Conflict, Message: fmt.Sprintf("%s has an agency named %s already (%s)", ag.Country, apperr.Quote(*o), other.ID())}}
			}
		}
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	ag.Key = "AG-" + ag.Country + "-" + strings.ToUpper(hex.EncodeToString(b))
	at := changeTime()
	ag.IdentificationBasis = "entered through smegraph"
	ag.Sources = append(ag.Sources, provenance("Entered", at.Format("2006-01-02")))
	ag.Revision = Revision{Version: 1, UpdatedAt: at}
	ag.derive(countries)
	_, err := s.record(ctx, mutation{actor: a.Name, op: OpCreate, coll: agenciesColl, key: ag.Key, node: ag.ID(),
		nodeType: string(gid.Agency), version: 1, after: ag, countries: []string{ag.Country}, at: at})
	if err != nil {
		return nil, err
	}
	return ag, nil
}

// UpdateAgency changes the agency stored under key for actor a, if its version is still
// expected. Moving an agency needs rights on both countries.
func (s *Store) UpdateAgency(ctx context.Context, a *Actor, key string, expected int, e AgencyEdit) (*Agency, error) {
	old, err := s.Agency(ctx, key)
	if err != nil {
		return nil, err
	}
	if !a.mayChange(old.Country) {
		return nil, forbidden("change agencies of " + old.Country)
	}
	ag := *old
	ag.Names = slices.Clone(old.Names)
	ag.Sources = slices.Clone(old.Sources)
	countries := map[string]*Country{}
	if p := s.applyAgencyEdit(ctx, &ag, e, false, countries); len(p) > 0 {
		return nil, p
	}
	if !a.mayChange(ag.Country) {
		return nil, forbidden("move agencies to " + ag.Country)
	}
	if old.Version != expected {
		return nil, &ConflictError{Current: old.Version}
	}
	if _, ok := countries[ag.Country]; !ok {
		c, err := s.Country(ctx, ag.Country)
		if err != nil {
			return nil, fmt.Errorf("country of agency %s: %w", key, err)
		}
		countries[c.Code] = c
	}
	ag.derive(countries)
	if same, err := sameBSON(&ag, old); err != nil || same {
		return old, err // nothing changes: no write, no version, no audit entry
	}
	at := changeTime()
	if src := provenance("Updated", at.Format("2006-01-02")); !slices.Contains(ag.Sources, src) {
		ag.Sources = append(ag.Sources, src)
	}
	ag.Revision = Revision{Version: old.Version + 1, UpdatedAt: at}
	_, err = s.record(ctx, mutation{actor: a.Name, op: OpUpdate, coll: agenciesColl, key: key, node: ag.ID(),
		nodeType: string(gid.Agency), version: ag.Version, before: old, after: &ag,
		countries: slices.Compact([]string{old.Country, ag.Country}), at: at})
	if err != nil {
		return nil, err
	}
	return &ag, nil
}

// DeleteAgency removes the agency stored under key for actor a, if its version is still
// expected.
func (s *Store) DeleteAgency(ctx context.Context, a *Actor, key string, expected int) error {
	old, err := s.Agency(ctx, key)
	if err != nil {
		return err
	}
	if !a.mayChange(old.Country) {
		return forbidden("remove agencies of " + old.Country)
	}
	if old.Version != expected {
		return &ConflictError{Current: old.Version}
	}
	_, err = s.record(ctx, mutation{actor: a.Name, op: OpDelete, coll: agenciesColl, key: key, node: old.ID(),
		nodeType: string(gid.Agency), version: old.Version, before: old, countries: []string{old.Country}, at: changeTime()})
	if errors.Is(err, ErrNotFound) {
		return ErrConflict
	}
	return err
}
