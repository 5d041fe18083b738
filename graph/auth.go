package graph

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/fealac/smegraph/internal/apperr"
	"github.com/fealac/smegraph/internal/store"
)

type authKey struct{}

// credentials is the request's bearer token, looked up at most once, when a resolver needs
// an actor. Reads never look at it.
type credentials struct {
	header string
	once   sync.Once
	actor  *store.Actor
	err    error
}

// Authorization keeps the request's Authorization header for the resolvers that need an
// actor (mutations, changes). The token is never logged.
func Authorization(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &credentials{header: r.Header.Get("Authorization")}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), authKey{}, c)))
	})
}

// actor returns who makes the request: the live token of the Authorization header ("Bearer
// <token>"). No header, another scheme, or an unknown or revoked token is UNAUTHENTICATED.
func (r *Resolver) actor(ctx context.Context) (*store.Actor, error) {
	c, _ := ctx.Value(authKey{}).(*credentials)
	if c == nil {
		c = &credentials{}
	}
	c.once.Do(func() {
		scheme, secret, ok := strings.Cut(strings.TrimSpace(c.header), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
			c.err = &apperr.Error{Code: apperr.Unauthenticated, Message: "send Authorization: Bearer <token> (see smegraph token create)"}
			return
		}
		t, err := r.Store.TokenBySecret(ctx, strings.TrimSpace(secret))
		switch {
		case errors.Is(err, store.ErrNotFound):
			c.err = &apperr.Error{Code: apperr.Unauthenticated, Message: "the token is unknown or revoked"}
		case err != nil:
			c.err = err
		default:
			c.actor = store.ActorOf(t)
		}
	})
	return c.actor, c.err
}
