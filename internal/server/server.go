// Package server assembles smegraph's HTTP handler: the GraphQL endpoint with its loaders,
// error presenter and request log, the GraphQL IDE, and the health endpoints.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/fealac/smegraph/graph"
	"github.com/fealac/smegraph/graph/loader"
	"github.com/fealac/smegraph/internal/store"
	"github.com/fealac/smegraph/internal/tracing"
)

// Paths served by the handler.
const (
	GraphQLPath = "/graphql"
	IDEPath     = "/"
	HealthPath  = "/healthz"
	ReadyPath   = "/readyz"
	MetricsPath = "/metrics"
)

// readyTimeout bounds the database ping of /readyz.
const readyTimeout = 2 * time.Second

// New returns the HTTP handler of smegraph over s, logging to logger, with the default
// options.
func New(s *store.Store, logger *slog.Logger) http.Handler { return NewWith(s, logger, Defaults()) }

// NewWith returns the HTTP handler of smegraph over s with options o.
func NewWith(s *store.Store, logger *slog.Logger, o Options) http.Handler {
	return newHandler(graph.NewExecutableSchema(graph.Config{
		Resolvers:  &graph.Resolver{Store: s},
		Complexity: graph.Complexity(),
	}), s, logger, o)
}

// newHandler is NewWith with the executable schema given, so that tests can wrap resolvers.
func newHandler(schema graphql.ExecutableSchema, s *store.Store, logger *slog.Logger, o Options) http.Handler {
	logger = slog.New(requestIDHandler{logger.Handler()})
	gql := handler.New(schema)
	gql.SetValidationRulesFn(cappedRules)
	gql.SetParserTokenLimit(o.Limits.MaxTokens)
	gql.SetDisableSuggestion(!o.Suggestions)
	if o.Tracer != nil {
		gql.Use(tracing.NewGraphQL(o.Tracer))
	}
	gql.Use(operationLimits{l: o.Limits, federation: o.Federation})
	gql.Use(extension.FixedComplexityLimit(o.Limits.MaxComplexity))
	// Automatic persisted queries: a client may send a query's SHA-256 instead of its text
	// once the server has seen it; the cache is bounded.
	gql.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	gql.AddTransport(transport.Options{})
	gql.AddTransport(transport.GET{})
	gql.AddTransport(transport.POST{})
	gql.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if o.Introspection {
		gql.Use(extension.Introspection{})
	}
	gql.SetErrorPresenter(presenter(logger, o.Suggestions))
	gql.SetRecoverFunc(recoverer(logger))
	gql.AroundResponses(recordResponse)

	mux := http.NewServeMux()
	var observe loader.Observer
	if o.Metrics != nil {
		observe = o.Metrics.observeBatch
		mux.Handle("GET "+MetricsPath, o.Metrics.Handler())
	}
	mux.Handle(GraphQLPath, cacheGET(guard(o.Limits, graph.AcceptLanguage(graph.Authorization(loader.Middleware(s, observe, specStatus(gql)))))))
	mux.Handle("GET "+IDEPath+"{$}", ide())
	mux.Handle("GET "+IDEAssetsPath, ideAssets())
	mux.HandleFunc("GET "+HealthPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET "+ReadyPath, func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := s.Ping(ctx); err != nil {
			logger.WarnContext(ctx, "not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("database unreachable\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	return withRequestID(logRequests(logger, o.Metrics, cors(o.CORSOrigins, mux)))
}
