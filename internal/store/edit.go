package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/language"

	"github.com/fealac/smegraph/internal/apperr"
	"github.com/fealac/smegraph/internal/gid"
)

// Actor is who makes a change: a token's name, role and, for editors, countries.
type Actor struct {
	Name      string
	Role      string
	Countries []string
}

// ActorOf returns the actor of a token.
func ActorOf(t *Token) *Actor { return &Actor{Name: t.Name, Role: t.Role, Countries: t.Countries} }

// CLIActor is the actor of changes the command line makes (imports).
var CLIActor = &Actor{Name: "cli", Role: RoleAdmin}

// mayChange reports whether a may change the records of every given country.
func (a *Actor) mayChange(countries ...string) bool {
	if a.Role == RoleAdmin {
		return true
	}
	for _, c := range countries {
		if !slices.Contains(a.Countries, c) {
			return false
		}
	}
	return a.Role == RoleEditor
}

// forbidden is the error for an actor acting outside its scope.
func forbidden(what string) error {
	return &apperr.Error{Code: apperr.Forbidden, Message: "this token may not " + what}
}

// Problem is one problem with a mutation's input.
type Problem struct {
	Field   string // input field, e.g. "url"; "" when no one field is at fault
	Message string
	Code    apperr.Code
}

// Problems is the error of a mutation whose input failed validation; nothing was written.
type Problems []Problem

func (p Problems) Error() string {
	msgs := make([]string, len(p))
	for i, x := range p {
		msgs[i] = x.Field + ": " + x.Message
	}
	return strings.Join(msgs, "; ")
}

// add records a problem.
func (p *Problems) add(field string, code apperr.Code, format string, args ...any) {
	*p = append(*p, Problem{Field: field, Message: fmt.Sprintf(format, args...), Code: code})
}

// NormaliseURL returns the absolute http(s) URL for an address as people write it:
// surrounding spaces removed, "http://" added when there is no scheme, scheme and host
// lower-cased, nothing else changed (the path is kept as written, not re-escaped). It fails
// unless the result is an http or https URL whose host is a domain name with a dot (or an IP
// address) and a valid port, without a user name or password, spaces or control characters.
func NormaliseURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	lower := strings.ToLower(s)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		if strings.Contains(s, ":/") {
			return "", errors.New("must be an http or https address")
		}
		s = "http://" + s
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "", errors.New("must not contain spaces or control characters")
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.Hostname() == "" {
		return "", errors.New("is not a web address")
	}
	if u.User != nil || strings.Contains(u.Host, "@") {
		return "", errors.New("must not carry a user name or password")
	}
	host := u.Hostname()
	if !strings.Contains(host, ".") || strings.ContainsAny(host, "%/\\") || strings.HasPrefix(host, ".") || strings.HasSuffix(host, "..") {
		return "", errors.New("needs a domain name such as www.example.org")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", errors.New("has an invalid port")
		}
	}
	scheme := strings.ToLower(u.Scheme)
	rest := s[len(u.Scheme)+3:] // after "scheme://"
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, rest = rest[:i], rest[i:]
	} else {
		rest = ""
	}
	return scheme + "://" + strings.ToLower(authority) + rest, nil
}

// checkTexts validates localized texts: well-formed BCP-47 tags, non-blank texts, one per
// language. It returns them trimmed, with tags in canonical form.
func checkTexts(field string, ts []LocalizedText, p *Problems) []LocalizedText {
	out := []LocalizedText{}
	seen := map[string]bool{}
	for i, t := range ts {
		tag, err := language.Parse(t.Lang)
		if _, unknown := err.(language.ValueError); (err != nil && !unknown) || strings.ContainsAny(t.Lang, "_ ") {
			p.add(fmt.Sprintf("%s[%d].lang", field, i), apperr.BadUserInput, "%s is not a well-formed BCP-47 language tag", apperr.Quote(t.Lang))
			continue
		}
		text := strings.TrimSpace(t.Text)
		if msg := checkText(text); msg != "" {
			p.add(fmt.Sprintf("%s[%d].text", field, i), apperr.BadUserInput, "%s", msg)
			continue
		}
		if seen[tag.String()] {
			p.add(fmt.Sprintf("%s[%d].lang", field, i), apperr.BadUserInput, "%s is given twice", tag)
			continue
		}
		seen[tag.String()] = true
		out = append(out, LocalizedText{Lang: tag.String(), Text: text})
	}
	return out
}

// withEnglish returns texts with en set to english (removed when english is nil), English
// first.
func withEnglish(texts []LocalizedText, english *string) []LocalizedText {
	out := []LocalizedText{}
	if english != nil {
		out = append(out, LocalizedText{Lang: "en", Text: *english})
	}
	for _, t := range texts {
		if t.Lang != "en" {
			out = append(out, t)
		}
	}
	return out
}

// countryRef resolves a country reference: a Country global ID or an ISO code in any form.
func (s *Store) countryRef(ctx context.Context, field, ref string, p *Problems) *Country {
	code := ref
	if t, key, err := gid.Decode(ref); err == nil && t == gid.Country {
		code = key
	}
	c, err := s.Country(ctx, code)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			p.add(field, apperr.NotFound, "no member country %s", apperr.Quote(ref))
			return nil
		}
		p.add(field, apperr.Internal, "could not be checked")
		return nil
	}
	return c
}

// groupingRef resolves a grouping reference: a Grouping global ID or a slug in any case.
func (s *Store) groupingRef(ctx context.Context, field, ref string, p *Problems) *Grouping {
	slug := strings.ToLower(strings.TrimSpace(ref))
	if t, key, err := gid.Decode(ref); err == nil && t == gid.Grouping {
		slug = key
	}
	g, err := s.Grouping(ctx, slug)
	if err != nil {
		p.add(field, apperr.NotFound, "no grouping %s", apperr.Quote(ref))
		return nil
	}
	return g
}

// trimmedOrNil returns *s trimmed, or nil when s is nil or blank (invisible characters
// count as blank).
func trimmedOrNil(s *string) *string {
	if s == nil || Fold(*s) == "" {
		return nil
	}
	t := strings.TrimSpace(*s)
	return &t
}

// now returns the time of a change: UTC, millisecond precision, as stored.
func changeTime() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// maxSources bounds the sources of one record.
const maxSources = 50

// SourcesFrom converts source strings, in order and without repeats, into Sources: a URL
// (http or https) becomes a source titled by its host; any other string names a document
// (e.g. "FEALAC SME center brief"). A URL without a host is an error.
func SourcesFrom(lists ...[]string) ([]Source, error) {
	out := []Source{}
	seen := make(map[string]bool)
	for _, list := range lists {
		if len(list) > maxSources {
			return nil, fmt.Errorf("at most %d sources", maxSources)
		}
		for _, s := range list {
			s = strings.TrimSpace(s)
			if seen[s] || s == "" {
				continue
			}
			if len(s) > 2000 || strings.IndexFunc(s, unicode.IsControl) >= 0 {
				return nil, fmt.Errorf("source %s is longer than 2,000 characters or has control characters", apperr.Quote(s))
			}
			seen[s] = true
			if strings.HasPrefix(strings.ToLower(s), "www.") && !strings.ContainsAny(s, " \t") {
				s = "http://" + s // an address written without its scheme
			}
			if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
				out = append(out, Source{Title: s})
				continue
			}
			u, err := url.Parse(s)
			if err != nil || u.Host == "" {
				return nil, fmt.Errorf("source %s is not a web address with a host", apperr.Quote(s))
			}
			out = append(out, Source{Title: u.Host, URL: &s})
		}
	}
	return out, nil
}

// maxTextLen bounds a name, title or other text, in characters.
const maxTextLen = 300

// checkText returns why a name or title may not be stored, or "": blank (also when only
// invisible characters), over maxTextLen characters, or with control characters.
func checkText(s string) string {
	switch {
	case Fold(s) == "":
		return "must not be blank"
	case len([]rune(s)) > maxTextLen:
		return fmt.Sprintf("at most %d characters", maxTextLen)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "must not contain control characters"
	}
	return ""
}
