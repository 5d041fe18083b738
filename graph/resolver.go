// Package graph is smegraph's GraphQL layer: the generated executable schema (generated.go,
// never edited), the resolvers (*.resolvers.go, thin: one loader or store call each) and their
// wiring (this file).
package graph

//go:generate go tool gqlgen generate

import (
	"context"
	"errors"

	"github.com/fealac/smegraph/graph/model"
	"github.com/fealac/smegraph/internal/apperr"
	"github.com/fealac/smegraph/internal/gid"
	"github.com/fealac/smegraph/internal/store"
)

// Resolver is the root resolver; it holds what every resolver needs.
type Resolver struct {
	Store *store.Store
}

// node returns the node with global ID id (argument arg), or nil when it does not exist.
func (r *Resolver) node(ctx context.Context, arg, id string) (model.Node, error) {
	thunk, err := r.nodeThunk(ctx, arg, id)
	if err != nil {
		return nil, err
	}
	return thunk()
}

// nodeThunk starts loading the node with global ID id and returns a function that waits for
// it, so that many nodes are fetched in one batch per type. A malformed ID is BAD_USER_INPUT
// naming arg; a missing node is nil.
func (r *Resolver) nodeThunk(ctx context.Context, arg, id string) (func() (model.Node, error), error) {
	t, key, err := gid.Decode(id)
	if err != nil {
		return nil, apperr.Input(arg, "%s is not a valid ID", apperr.Quote(id))
	}
	l := r.loaders(ctx)
	switch t {
	case gid.Country:
		return asNode(l.Country.LoadThunk(ctx, key)), nil
	case gid.Agency:
		return asNode(l.Agency.LoadThunk(ctx, key)), nil
	case gid.Grouping:
		return asNode(l.Grouping.LoadThunk(ctx, key)), nil
	case gid.Meeting:
		return asNode(l.Meeting.LoadThunk(ctx, key)), nil
	default:
		return asNode(l.Decision.LoadThunk(ctx, key)), nil
	}
}

// asNode adapts a loader thunk to a Node result: a missing document is a nil node.
func asNode[T any, PT interface {
	*T
	model.Node
}](thunk func() (PT, error)) func() (model.Node, error) {
	return func() (model.Node, error) {
		v, err := thunk()
		if errors.Is(err, store.ErrNotFound) || (err == nil && v == nil) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return v, nil
	}
}
