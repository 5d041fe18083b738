package graph

import (
	"context"
	"net/http"
	"strings"

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
	have := make([]language.Tag, len(texts))
	for i, t := range texts {
		have[i], _ = language.Parse(t.Lang) // stored tags are well-formed
	}
	for _, w := range want {
		for i, h := range have {
			if h == w {
				return &texts[i].Text, nil
			}
		}
		wb, conf := w.Base()
		if conf != language.Exact {
			continue // "und" and unknown languages have no base of their own
		}
		for i, h := range have {
			if hb, _ := h.Base(); hb == wb {
				return &texts[i].Text, nil
			}
		}
	}
	for i, h := range have {
		if h == language.English {
			return &texts[i].Text, nil
		}
	}
	return &texts[0].Text, nil
}

// requiredText is pickText for non-null fields; the seed guarantees an English text.
func requiredText(ctx context.Context, texts []store.LocalizedText, lang *string) (string, error) {
	s, err := pickText(ctx, texts, lang)
	if err != nil || s == nil {
		return "", err
	}
	return *s, nil
}
