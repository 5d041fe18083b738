// Package tracing sends OpenTelemetry traces of GraphQL operations, resolver fields and
// MongoDB commands when the standard OTEL_* variables configure an exporter.
//
// Tracing is on when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set
// (and neither OTEL_SDK_DISABLED=true nor OTEL_TRACES_EXPORTER=none). The OTLP/HTTP exporter
// reads its own settings (endpoint, headers, timeout) from the environment, and the resource
// takes OTEL_SERVICE_NAME (default "smegraph") and OTEL_RESOURCE_ATTRIBUTES.
package tracing

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Enabled reports whether the environment asks for traces.
func Enabled() bool {
	if strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") || os.Getenv("OTEL_TRACES_EXPORTER") == "none" {
		return false
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Setup creates the OTLP/HTTP tracer provider the environment describes and returns it with
// its shutdown, which flushes pending spans.
func Setup(ctx context.Context) (trace.TracerProvider, func(context.Context) error, error) {
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: %w", err)
	}
	if os.Getenv("OTEL_SERVICE_NAME") == "" {
		_ = os.Setenv("OTEL_SERVICE_NAME", "smegraph")
	}
	res, err := resource.New(ctx, resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	return tp, tp.Shutdown, nil
}

// instrumentation names the spans' source.
const instrumentation = "github.com/fealac/smegraph"

// GraphQL is a gqlgen extension making a span per operation and one per resolver field.
type GraphQL struct{ Tracer trace.Tracer }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
	graphql.FieldInterceptor
} = GraphQL{}

// NewGraphQL returns the extension over tp.
func NewGraphQL(tp trace.TracerProvider) GraphQL { return GraphQL{Tracer: tp.Tracer(instrumentation)} }

func (GraphQL) ExtensionName() string                   { return "OpenTelemetry" }
func (GraphQL) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation spans the whole operation, named after it.
func (g GraphQL) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	name := oc.OperationName
	if name == "" && oc.Operation != nil {
		name = oc.Operation.Name
	}
	if name == "" {
		name = "anonymous"
	}
	ctx, span := g.Tracer.Start(ctx, "graphql.operation "+name, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("graphql.operation.name", name)))
	respond := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		resp := respond(ctx)
		if resp != nil && len(resp.Errors) > 0 {
			span.SetStatus(codes.Error, fmt.Sprintf("%d GraphQL errors", len(resp.Errors)))
		}
		span.End()
		return resp
	}
}

// InterceptField spans the fields that run a resolver (plain struct fields are not worth a
// span).
func (g GraphQL) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver {
		return next(ctx)
	}
	ctx, span := g.Tracer.Start(ctx, "graphql.field "+fc.Object+"."+fc.Field.Name,
		trace.WithAttributes(attribute.String("graphql.field.path", fc.Path().String())))
	defer span.End()
	v, err := next(ctx)
	if err != nil {
		span.SetStatus(codes.Error, "resolver error")
	}
	return v, err
}

// CommandMonitor returns a driver monitor making a client span per MongoDB command, a child
// of the span in the command's context.
func CommandMonitor(tp trace.TracerProvider) *event.CommandMonitor {
	tracer := tp.Tracer(instrumentation)
	var spans sync.Map // request ID → span
	end := func(id int64, failure string) {
		if s, ok := spans.LoadAndDelete(id); ok {
			span := s.(trace.Span)
			if failure != "" {
				span.SetStatus(codes.Error, failure)
			}
			span.End()
		}
	}
	return &event.CommandMonitor{
		Started: func(ctx context.Context, e *event.CommandStartedEvent) {
			_, span := tracer.Start(ctx, "mongodb."+e.CommandName, trace.WithSpanKind(trace.SpanKindClient),
				trace.WithAttributes(attribute.String("db.system", "mongodb"), attribute.String("db.name", e.DatabaseName),
					attribute.String("db.operation", e.CommandName)))
			spans.Store(e.RequestID, span)
		},
		Succeeded: func(_ context.Context, e *event.CommandSucceededEvent) { end(e.RequestID, "") },
		Failed:    func(_ context.Context, e *event.CommandFailedEvent) { end(e.RequestID, "command failed") },
	}
}

// Monitors combines command monitors into one.
func Monitors(ms ...*event.CommandMonitor) *event.CommandMonitor {
	return &event.CommandMonitor{
		Started: func(ctx context.Context, e *event.CommandStartedEvent) {
			for _, m := range ms {
				m.Started(ctx, e)
			}
		},
		Succeeded: func(ctx context.Context, e *event.CommandSucceededEvent) {
			for _, m := range ms {
				m.Succeeded(ctx, e)
			}
		},
		Failed: func(ctx context.Context, e *event.CommandFailedEvent) {
			for _, m := range ms {
				m.Failed(ctx, e)
			}
		},
	}
}
