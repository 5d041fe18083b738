package store

import (
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// StringFilter is a condition on a string field: eq, ne, in and nin compare exactly (after
// the field's own normalisation, e.g. upper case for country codes); contains and startsWith
// compare case- and accent-insensitively against the field's folded search keys. Conditions
// given together must all hold.
type StringFilter struct {
	Eq         *string
	Ne         *string
	In         []string
	Nin        []string
	Contains   *string
	StartsWith *string
}

// Filter bounds, checked before any database work.
const (
	// MaxFilterValues bounds the values of one in/nin list and the conditions of a filter.
	MaxFilterValues = 100
	// MaxFilterText bounds one string of a filter, in characters.
	MaxFilterText = 200
	// MaxFilterDepth bounds the nesting of and/or.
	MaxFilterDepth = 8
	// MaxGroupingConditions bounds the grouping conditions of a countries filter: each reads
	// the memberships once.
	MaxGroupingConditions = 5
)

// Fold returns s in the form search keys are stored in: lower case, accents and other
// combining marks removed, compatibility forms unified (NFKD), spaces collapsed. "São
// Tomé" folds to "sao tome", "MÉXICO" to "mexico".
func Fold(s string) string {
	return strings.TrimSpace(FoldQuery(s))
}

// FoldQuery folds text a client searches for like Fold, but keeps a leading or trailing
// space: " p" looks for a word starting with p, and a lone space for names with a space.
// Runs of white space count as one space, as in the stored keys.
func FoldQuery(s string) string {
	// Marks go (é → e), and so do invisible format characters (zero-width space, BOM).
	t := transform.Chain(norm.NFKD, runes.Remove(runes.Predicate(func(r rune) bool { return unicode.In(r, unicode.Mn, unicode.Cf) })), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return whitespace.ReplaceAllString(strings.ToLower(out), " ")
}

// whitespace matches a run of white space.
var whitespace = regexp.MustCompile(`\s+`)

// CodeValue normalises an ISO 3166-1 code as the lookups do: upper case, spaces trimmed,
// a short numeric code zero-padded.
func CodeValue(s string) string {
	s = strings.ToUpper(strings.TrimSpace(norm.NFKC.String(s))) // fullwidth ＰＥ is PE
	if isDigits(s) && len(s) < 3 {
		s = strings.Repeat("0", 3-len(s)) + s
	}
	return s
}

// SlugValue normalises a grouping slug: lower case, spaces trimmed.
func SlugValue(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// SortDirection orders a connection's key ascending or descending.
type SortDirection string

// The sort directions.
const (
	Asc  SortDirection = "ASC"
	Desc SortDirection = "DESC"
)

// Order is one sort key of a connection, F being its enum of sort fields, with its direction.
type Order[F ~string] struct {
	Field     F
	Direction SortDirection
}

// foldAll returns the folded texts of every list, without duplicates, in order.
func foldAll(lists ...[]LocalizedText) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, l := range lists {
		for _, t := range l {
			if k := Fold(t.Text); !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// firstText returns the first text (the English one, by the store's convention), or "".
func firstText(ts []LocalizedText) string {
	if len(ts) == 0 {
		return ""
	}
	return ts[0].Text
}
