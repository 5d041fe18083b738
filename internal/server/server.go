// Package server assembles smegraph's HTTP handler: the GraphQL endpoint over the read model,
// error presenter and request log, the GraphQL IDE, and the health endpoints.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/fealac/smegraph/graph"
	"github.com/fealac/smegraph/internal/readmodel"
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

// New returns the HTTP handler of smegraph over s, whose reads m answers, logging to logger,
// with the default options.
func New(s *store.Store, m *readmodel.Model, logger *slog.Logger) http.Handler {
	return NewWith(s, m, logger, Defaults())
}

// NewWith returns the HTTP handler of smegraph over s and m with options o.
func NewWith(s *store.Store, m *readmodel.Model, logger *slog.Logger, o Options) http.Handler {
	r := &graph.Resolver{Store: s, Model: m}
	var es graphql.ExecutableSchema = graph.NewExecutableSchema(graph.Config{Resolvers: r, Complexity: graph.Complexity()})
	if !o.NoFastPath {
		fast := graph.NewFastSchema(es, r)
		fast.Verify = o.FastPathCheck
		es = fast
	}
	return newHandler(es, s, m, logger, o)
}

// newHandler is NewWith with the executable schema given, so that tests can wrap resolvers.
func newHandler(schema graphql.ExecutableSchema, s *store.Store, m *readmodel.Model, logger *slog.Logger, o Options) http.Handler {
	logger = slog.New(requestIDHandler{logger.Handler()})
	gql := handler.New(schema)
	gql.SetValidationRulesFn(cappedRules)
	gql.SetParserTokenLimit(o.Limits.MaxTokens)
	gql.SetDisableSuggestion(!o.Suggestions)
	if o.Tracer != nil {
		gql.Use(tracing.NewGraphQL(o.Tracer))
	}
	gql.Use(operationLimits{l: o.Limits, federation: o.Federation})
	// Every operation reads one snapshot of the reference graph from start to end.
	gql.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		ctx, err := m.Pin(ctx)
		if err != nil {
			return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{Message: readmodel.ErrNotLoaded.Message,
				Extensions: map[string]any{"code": string(readmodel.ErrNotLoaded.Code)}}}})
		}
		return next(ctx)
	})
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
	if o.Metrics != nil {
		o.Metrics.followModel(m)
		mux.Handle("GET "+MetricsPath, o.Metrics.Handler())
	}
	mux.Handle(GraphQLPath, cacheGET(guard(o.Limits, graph.AcceptLanguage(graph.Authorization(specStatus(gql))))))
	mux.Handle("GET "+IDEPath+"{$}", ide())
	mux.Handle("GET "+IDEAssetsPath, ideAssets())
	mux.HandleFunc("GET "+HealthPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET "+ReadyPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		switch st := m.Status(); {
		case !st.Loaded:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("loading the reference data\n"))
		case st.Age > o.MaxStaleness:
			// The snapshot still answers reads, but it cannot be brought in step with the
			// database (the database is unreachable): send traffic to a replica that can.
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintf(w, "the reference data was last in step with the database %s ago\n", st.Age.Round(time.Second))
		default:
			_, _ = w.Write([]byte("ready\n"))
		}
	})
	return withRequestID(logRequests(logger, o.Metrics, cors(o.CORSOrigins, mux)))
}
