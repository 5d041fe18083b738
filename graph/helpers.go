package graph

import (
	"context"
	"errors"
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
