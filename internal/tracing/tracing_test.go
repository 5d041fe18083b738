package tracing_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/event"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/fealac/smegraph/internal/tracing"
)

// TestCommandSpans checks that a command's span is a child of the span in its context and
// ends when the command does.
func TestCommandSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	m := tracing.Monitors(tracing.CommandMonitor(tp))
	ctx, parent := tp.Tracer("test").Start(context.Background(), "graphql.field Query.country")
	m.Started(ctx, &event.CommandStartedEvent{CommandName: "find", DatabaseName: "smegraph", RequestID: 7})
	m.Succeeded(ctx, &event.CommandSucceededEvent{CommandFinishedEvent: event.CommandFinishedEvent{CommandName: "find", RequestID: 7}})
	m.Started(ctx, &event.CommandStartedEvent{CommandName: "aggregate", DatabaseName: "smegraph", RequestID: 8})
	m.Failed(ctx, &event.CommandFailedEvent{CommandFinishedEvent: event.CommandFinishedEvent{CommandName: "aggregate", RequestID: 8}})
	parent.End()
	spans := exp.GetSpans()
	var names []string
	for _, s := range spans {
		names = append(names, s.Name)
		if strings.HasPrefix(s.Name, "mongodb.") && s.Parent.SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("%s is not a child of the field's span", s.Name)
		}
	}
	if !slices.Contains(names, "mongodb.find") || !slices.Contains(names, "mongodb.aggregate") {
		t.Errorf("spans: %v", names)
	}
}

// TestEnabled checks which environments turn tracing on.
func TestEnabled(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_TRACES_EXPORTER": "none"}, false},
	} {
		for _, v := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER"} {
			t.Setenv(v, c.env[v])
		}
		if got := tracing.Enabled(); got != c.want {
			t.Errorf("%v: %v", c.env, got)
		}
	}
}
