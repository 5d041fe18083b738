package server

import (
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Limits bound what one request may ask for. Each is checked before any database work and
// refused with its own extensions.code.
type Limits struct {
	// MaxBodyBytes bounds a POST body (413 REQUEST_TOO_LARGE).
	MaxBodyBytes int64
	// MaxQueryBytes bounds the query text (QUERY_TOO_LONG). Validation time grows with the
	// square of the query's size (110 KB of repeated fields took 3.5 s).
	MaxQueryBytes int
	// MaxTokens bounds the query's lexical tokens (GRAPHQL_PARSE_FAILED); the dashboard
	// query has about 60.
	MaxTokens int
	// MaxDepth bounds the nesting of fields (DEPTH_LIMIT_EXCEEDED).
	MaxDepth int
	// MaxComplexity bounds the estimated cost (COMPLEXITY_LIMIT_EXCEEDED); see graph.Complexity.
	MaxComplexity int
	// MaxAliases bounds the aliases of an operation (TOO_MANY_ALIASES).
	MaxAliases int
	// MaxDirectivesPerField bounds the directives on one field (TOO_MANY_DIRECTIVES).
	MaxDirectivesPerField int
	// MaxRootFields bounds the root fields, aliases included (TOO_MANY_ROOT_FIELDS).
	MaxRootFields int
	// RequestTimeout bounds one request's work; it reaches the driver through the context.
	RequestTimeout time.Duration
}

// Options configure the handler; start from Defaults.
type Options struct {
	Limits Limits
	// Introspection answers __schema and __type queries.
	Introspection bool
	// Suggestions adds "Did you mean ...?" to validation errors.
	Suggestions bool
	// Federation answers the Apollo Federation fields _service and _entities.
	Federation bool
	// Metrics, when set, are kept for every request and served at /metrics.
	Metrics *Metrics
	// Tracer, when set, gets a span per GraphQL operation and resolver field.
	Tracer trace.TracerProvider
	// CORSOrigins are the browser origins allowed to call the API ("*" for any); none by
	// default.
	CORSOrigins []string
	// NoFastPath turns off the fast path (graph.FastSchema): every query runs through
	// gqlgen's executor. For comparisons; the answers are the same.
	NoFastPath bool
	// FastPathCheck, when set, runs every query the fast path answers through gqlgen's
	// executor too and is given both answers (tests compare them).
	FastPathCheck func(query string, fast, gqlgen []byte)
	// MaxStaleness is how long the read model may go without being in step with the
	// database (it cannot reach it) before /readyz answers 503. Reads are still answered
	// from the snapshot meanwhile.
	MaxStaleness time.Duration
}

// Defaults returns the options of a development server: the limits sized so the nested
// dashboard query passes, introspection and suggestions on.
func Defaults() Options {
	return Options{
		Limits: Limits{
			MaxBodyBytes:          1 << 20,
			MaxQueryBytes:         32 << 10,
			MaxTokens:             5000,
			MaxDepth:              12,
			MaxComplexity:         500_000,
			MaxAliases:            50,
			MaxDirectivesPerField: 5,
			MaxRootFields:         20,
			RequestTimeout:        10 * time.Second,
		},
		Introspection: true,
		Suggestions:   true,
		Federation:    true,
		MaxStaleness:  10 * time.Second,
	}
}

// Production returns o for a production server: no introspection, no field suggestions, and
// no federation fields unless it is enabled (a router composes the subgraph).
func (o Options) Production() Options {
	o.Introspection, o.Suggestions, o.Federation = false, false, false
	return o
}
