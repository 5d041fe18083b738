package graph

import (
	"errors"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fealac/smegraph/graph/model"
	"github.com/fealac/smegraph/internal/apperr"
	"github.com/fealac/smegraph/internal/gid"
	"github.com/fealac/smegraph/internal/store"
)

// userErrors turns a store mutation's error into the payload's userErrors: validation
// problems, a version conflict, a missing record. Anything else (FORBIDDEN, a database
// fault) is returned as a GraphQL error.
func userErrors(err error, idField string) ([]*model.UserError, error) {
	var problems store.Problems
	switch {
	case err == nil:
		return []*model.UserError{}, nil
	case errors.As(err, &problems):
		out := make([]*model.UserError, len(problems))
		for i, p := range problems {
			out[i] = &model.UserError{Message: p.Message, Code: string(p.Code)}
			if p.Field != "" {
				out[i].Field = &p.Field
			}
		}
		return out, nil
	case errors.Is(err, store.ErrConflict):
		msg := "the record changed since you read it, or was created meanwhile; read it again and retry"
		var ce *store.ConflictError
		if errors.As(err, &ce) {
			msg = fmt.Sprintf("the record is at version %d; read it again and retry", ce.Current)
		}
		return []*model.UserError{{Field: &[]string{"expectedVersion"}[0], Code: string(apperr.Conflict), Message: msg}}, nil
	case errors.Is(err, store.ErrNotFound):
		return []*model.UserError{{Field: &idField, Code: string(apperr.NotFound), Message: "no such record"}}, nil
	}
	return nil, err
}

// recordKey decodes the ID of the record a mutation changes; a malformed one or one of another
// type is a user error on field "id".
func recordKey(id string, want gid.Type) (string, []*model.UserError) {
	t, key, err := gid.Decode(id)
	if err != nil || t != want {
		return "", []*model.UserError{{Field: &[]string{"id"}[0], Code: string(apperr.BadUserInput),
			Message: fmt.Sprintf("%s is not the ID of %s", apperr.Quote(id), article(string(want)))}}
	}
	return key, nil
}

// given notes in g that field name was sent and returns its value.
func given[T any](g map[string]bool, name string, o graphql.Omittable[T]) T {
	v, ok := o.ValueOK()
	if ok {
		g[name] = true
	}
	return v
}

// texts converts localized text inputs.
func texts(in []*model.LocalizedTextInput) []store.LocalizedText {
	out := make([]store.LocalizedText, len(in))
	for i, t := range in {
		out[i] = store.LocalizedText{Lang: t.Lang, Text: t.Text}
	}
	return out
}

// withoutDerived returns an audited document without the fields the store derives; nil stays
// nil (no document before a create, after a delete).
func withoutDerived(coll string, doc bson.Raw) (bson.Raw, error) {
	if len(doc) == 0 {
		return nil, nil
	}
	d, err := store.WithoutDerived(coll, doc)
	if err != nil {
		return nil, err
	}
	return bson.Marshal(d)
}

// article returns a noun with its indefinite article: "an Agency", "a Decision".
func article(noun string) string {
	if noun != "" && strings.ContainsRune("AEIOU", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}
