package graph

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fealac/smegraph/graph/loader"
	"github.com/fealac/smegraph/internal/apperr"
	"github.com/fealac/smegraph/internal/gid"
	"github.com/fealac/smegraph/internal/store"
)

// loaders returns the request's loaders.
func (r *Resolver) loaders(ctx context.Context) *loader.Loaders { return loader.For(ctx, r.Store) }

// day returns asOf, or today's date in UTC when asOf is nil.
func day(asOf *string) string {
	if asOf != nil {
		return *asOf
	}
	return time.Now().UTC().Format(time.DateOnly)
}

// nodeKey decodes the ID argument arg, which must belong to type want. A malformed ID or an
// ID of another type is BAD_USER_INPUT.
func nodeKey(arg, id string, want gid.Type) (string, error) {
	t, key, err := gid.Decode(id)
	if err != nil {
		return "", apperr.Input(arg, "%s is not a valid ID", apperr.Quote(id))
	}
	if t != want {
		return "", apperr.Input(arg, "%s is an ID of type %s; this field takes an ID of type %s", apperr.Quote(id), t, want)
	}
	return key, nil
}

// orNull turns a not-found error into a null result, as lookups answer.
func orNull[T any](v *T, err error) (*T, error) {
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return v, err
}

// activeMembers returns the memberships of ms with status MEMBER in force on date.
func activeMembers(ms []*store.Membership, date string) []*store.Membership {
	var out []*store.Membership
	for _, m := range ms {
		if m.Status == store.StatusMember && m.ActiveOn(date) {
			out = append(out, m)
		}
	}
	return out
}

// inForce returns the memberships of ms, of any status, in force on date.
func inForce(ms []*store.Membership, date string) []*store.Membership {
	out := []*store.Membership{}
	for _, m := range ms {
		if m.ActiveOn(date) {
			out = append(out, m)
		}
	}
	return out
}

// pluck returns f of each element of xs.
func pluck[T any](xs []*T, f func(*T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// entity resolves a federation representation by global ID through a loader, so that the N
// representations of one type in an _entities request cost one database command. A
// malformed ID or one of another type is BAD_USER_INPUT; a missing node is NOT_FOUND; either
// leaves null in its place.
func entity[T any](ctx context.Context, id string, want gid.Type, load func(context.Context, string) (*T, error)) (*T, error) {
	key, err := nodeKey("representations", id, want)
	if err != nil {
		return nil, err
	}
	return found(load(ctx, key))(want, id)
}

// found turns a loader's ErrNotFound into the NOT_FOUND error of a representation.
func found[T any](v *T, err error) func(gid.Type, string) (*T, error) {
	return func(t gid.Type, ref string) (*T, error) {
		if errors.Is(err, store.ErrNotFound) || (err == nil && v == nil) {
			return nil, &apperr.Error{Code: apperr.NotFound, Argument: "representations", Message: fmt.Sprintf("no %s %s", t, apperr.Quote(ref))}
		}
		return v, err
	}
}
