package graph

import (
	"context"
	"net/http"
	"strings"
	"sync"

	"golang.org/x/text/language"

	"github.com/fealac/smegraph/internal/apperr"
	"github.com/fealac/smegraph/internal/store"
)

type acceptKey struct{}

// AcceptLanguage stores the languages of the request's Accept-Language header, in order of
// preference, for name(lang:) and title(lang:) fields whose lang is absent. A header that does
// not parse is ignored (English).
func AcceptLanguage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := r.Header.Get("Accept-Language"); h != "" {
			if tags, _, err := language.ParseAcceptLanguage(h); err == nil && len(tags) > 0 {
				r = r.WithContext(context.WithValue(r.Context(), acceptKey{}, tags))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// wanted returns the languages a text is asked for in: the lang argument when given, else
// the Accept-Language header's, else none (English). A lang that is not a well-formed BCP-47
// tag is BAD_USER_INPUT; a well-formed tag of an unknown language is accepted and, having no
// translation, falls back to English.
func wanted(ctx context.Context, lang *string) ([]language.Tag, error) {
	if lang == nil {
		tags, _ := ctx.Value(acceptKey{}).([]language.Tag)
		return tags, nil
	}
	t, err := language.Parse(*lang)
	if _, unknown := err.(language.ValueError); err != nil && !unknown || strings.ContainsAny(*lang, "_ ") {
		// x/text accepts "es_419"; BCP-47 separates subtags with hyphens only.
		return nil, apperr.Input("lang", "%s is not a well-formed BCP-47 language tag (e.g. en, es, pt-BR, es-419)", apperr.Quote(*lang))
	}
	return []language.Tag{t}, nil
}

// pickText returns the text of texts in the first of the wanted languages that has one (the
// same tag, else the same base language: es-419 → es), else the English text, else the first
// text; nil when texts is empty.
func pickText(ctx context.Context, texts []store.LocalizedText, lang *string) (*string, error) {
	want, err := wanted(ctx, lang)
	if err != nil || len(texts) == 0 {
		return nil, err
	}
	for _, w := range want {
		wb, conf := w.Base()
		exact := conf == language.Exact // "und" and unknown languages have no base of their own
		for i := range texts {
			if tagOf(texts[i].Lang) == w {
				return &texts[i].Text, nil
			}
		}
		if !exact {
			continue
		}
		for i := range texts {
			if hb, _ := tagOf(texts[i].Lang).Base(); hb == wb {
				return &texts[i].Text, nil
			}
		}
	}
	// Stored tags are canonical (the store writes tag.String()), so English is "en".
	for i := range texts {
		if texts[i].Lang == "en" {
			return &texts[i].Text, nil
		}
	}
	return &texts[0].Text, nil
}

// tags caches the parsed form of every stored language tag: the set is as small as the
// languages of the data, and parsing one costs microseconds.
var tags sync.Map

// tagOf returns the parsed stored tag s.
func tagOf(s string) language.Tag {
	if t, ok := tags.Load(s); ok {
		return t.(language.Tag)
	}
	t, _ := language.Parse(s) // stored tags are well-formed
	tags.Store(s, t)
	return t
}

// requiredText is pickText for non-null fields; the seed guarantees an English text.
func requiredText(ctx context.Context, texts []store.LocalizedText, lang *string) (string, error) {
	s, err := pickText(ctx, texts, lang)
	if err != nil || s == nil {
		return "", err
	}
	return *s, nil
}
