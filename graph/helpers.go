package graph

import (
	"context"
	"fmt"

	"github.com/fealac/smegraph/internal/apperr"
	"github.com/fealac/smegraph/internal/gid"
	"github.com/fealac/smegraph/internal/readmodel"
	"github.com/fealac/smegraph/internal/store"
)

// snap returns the snapshot the request reads (see readmodel.Model.For).
func (r *Resolver) snap(ctx context.Context) (*readmodel.Snapshot, error) { return r.Model.For(ctx) }

// read is the snapshot a request reads, or why there is none.
type read struct {
	s   *readmodel.Snapshot
	err error
}

// in returns the snapshot the request reads, for ref, lookup and list.
func (r *Resolver) in(ctx context.Context) read {
	s, err := r.Model.For(ctx)
	return read{s, err}
}

// ref resolves a reference to one node in the snapshot. A reference to a node that is not
// there (the data refers to a record that was removed) is store.ErrNotFound.
func ref[T any](in read, get func(*readmodel.Snapshot) *T) (*T, error) {
	if in.err != nil {
		return nil, in.err
	}
	if v := get(in.s); v != nil {
		return v, nil
	}
	return nil, store.ErrNotFound
}

// lookup resolves a root lookup in the snapshot: a missing node is null.
func lookup[T any](in read, get func(*readmodel.Snapshot) *T) (*T, error) {
	if in.err != nil {
		return nil, in.err
	}
	return get(in.s), nil
}

// list resolves a list of nodes in the snapshot.
func list[T any](in read, get func(*readmodel.Snapshot) []*T) ([]*T, error) {
	if in.err != nil {
		return nil, in.err
	}
	return get(in.s), nil
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

// entity resolves a federation representation by global ID. A malformed ID or one of another
// type is BAD_USER_INPUT; a missing node is NOT_FOUND; either leaves null in its place.
func entity[T any](ctx context.Context, r *Resolver, id string, want gid.Type, get func(*readmodel.Snapshot, string) *T) (*T, error) {
	key, err := nodeKey("representations", id, want)
	if err != nil {
		return nil, err
	}
	s, err := r.snap(ctx)
	if err != nil {
		return nil, err
	}
	return found(get(s, key), want, id)
}

// found returns v, or the NOT_FOUND error of a representation when v is nil.
func found[T any](v *T, t gid.Type, ref string) (*T, error) {
	if v == nil {
		return nil, &apperr.Error{Code: apperr.NotFound, Argument: "representations", Message: fmt.Sprintf("no %s %s", t, apperr.Quote(ref))}
	}
	return v, nil
}
