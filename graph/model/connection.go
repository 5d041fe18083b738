// Package model holds the GraphQL-only types: connections, scalars, and the inputs and enums
// gqlgen generates into models_gen.go.
package model

import (
	"context"

	"github.com/fealac/smegraph/internal/store"
)

// Connection is a Relay connection over one page of stored documents.
type Connection[T any] struct {
	Page *store.Page[T]
}

// Edge is a node with its cursor.
type Edge[T any] struct {
	Cursor string
	Node   *T
}

// The connections and edges of the schema.
type (
	CountryConnection  = Connection[store.Country]
	CountryEdge        = Edge[store.Country]
	AgencyConnection   = Connection[store.Agency]
	AgencyEdge         = Edge[store.Agency]
	GroupingConnection = Connection[store.Grouping]
	GroupingEdge       = Edge[store.Grouping]
	MeetingConnection  = Connection[store.Meeting]
	MeetingEdge        = Edge[store.Meeting]
	DecisionConnection = Connection[store.Decision]
	DecisionEdge       = Edge[store.Decision]
	ChangeConnection   = Connection[store.Change]
	ChangeEdge         = Edge[store.Change]
)

// Edges returns the page's nodes with their cursors.
func (c *Connection[T]) Edges() []*Edge[T] {
	edges := make([]*Edge[T], len(c.Page.Items))
	for i, n := range c.Page.Items {
		edges[i] = &Edge[T]{Cursor: c.Page.Cursors[i], Node: n}
	}
	return edges
}

// Nodes returns the page's nodes.
func (c *Connection[T]) Nodes() []*T { return c.Page.Items }

// PageInfo returns the page's Relay page information.
func (c *Connection[T]) PageInfo() *PageInfo {
	info := &PageInfo{HasNextPage: c.Page.HasNext, HasPreviousPage: c.Page.HasPrevious}
	if n := len(c.Page.Cursors); n > 0 {
		info.StartCursor, info.EndCursor = &c.Page.Cursors[0], &c.Page.Cursors[n-1]
	}
	return info
}

// TotalCount counts the whole set; it costs one count command, run only when asked for.
func (c *Connection[T]) TotalCount(ctx context.Context) (int, error) {
	return c.Page.TotalCount(ctx)
}

// Node is any object with a global ID; every stored node type implements it.
type Node interface {
	ID() string
}

// SearchResult is a node that search can return.
type SearchResult = Node
