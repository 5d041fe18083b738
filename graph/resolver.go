// Package graph is smegraph's GraphQL layer: the generated executable schema (generated.go,
// never edited), the resolvers (*.resolvers.go, thin: one read-model or store call each) and their
// wiring (this file).
package graph

//go:generate go tool gqlgen generate
//go:generate go run ../internal/cmd/serialexec generated.go

import (
	"context"

	"github.com/fealac/smegraph/graph/model"
	"github.com/fealac/smegraph/internal/apperr"
	"github.com/fealac/smegraph/internal/gid"
	"github.com/fealac/smegraph/internal/readmodel"
	"github.com/fealac/smegraph/internal/store"
)

// Resolver is the root resolver; it holds what every resolver needs.
type Resolver struct {
	// Store is written to by mutations and read for the audit trail and tokens.
	Store *store.Store
	// Model answers every read of the reference graph.
	Model *readmodel.Model
}

// node returns the node with global ID id (argument arg), or nil when it does not exist. A
// malformed ID is BAD_USER_INPUT naming arg.
func (r *Resolver) node(ctx context.Context, arg, id string) (model.Node, error) {
	t, key, err := gid.Decode(id)
	if err != nil {
		return nil, apperr.Input(arg, "%s is not a valid ID", apperr.Quote(id))
	}
	s, err := r.snap(ctx)
	if err != nil {
		return nil, err
	}
	switch t {
	case gid.Country:
		return asNode(s.CountryByCode(key)), nil
	case gid.Agency:
		return asNode(s.Agency(key)), nil
	case gid.Grouping:
		return asNode(s.Grouping(key)), nil
	case gid.Meeting:
		return asNode(s.Meeting(key)), nil
	default:
		return asNode(s.Decision(key)), nil
	}
}

// asNode returns v as a Node, or a nil Node (not a Node holding a nil pointer) for nil.
func asNode[T any, PT interface {
	*T
	model.Node
}](v PT) model.Node {
	if v == nil {
		return nil
	}
	return v
}
