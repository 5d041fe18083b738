package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// requestInfo collects what the request log line reports about a GraphQL operation.
type requestInfo struct {
	operation string
	errors    int
}

type infoKey struct{}

// maxLoggedName bounds the operation name in a log line; a client chooses it.
const maxLoggedName = 100

// logRequests writes one structured log line per request: method, path, GraphQL operation
// name, status, outcome, number of GraphQL errors and duration in milliseconds.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), infoKey{}, info)))

		outcome := "ok"
		switch {
		case rec.status >= 500:
			outcome = "server_error"
		case rec.status >= 400:
			outcome = "client_error"
		case info.errors > 0:
			outcome = "graphql_errors"
		}
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("operation", info.operation),
			slog.Int("status", rec.status),
			slog.String("outcome", outcome),
			slog.Int("errors", info.errors),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		)
	})
}

// recordResponse notes the operation's name and counts the errors of every response for the
// request log, including responses to operations that failed to parse or validate.
func recordResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	info, _ := ctx.Value(infoKey{}).(*requestInfo)
	if info == nil {
		return resp
	}
	if graphql.HasOperationContext(ctx) {
		oc := graphql.GetOperationContext(ctx)
		name := oc.OperationName
		if name == "" && oc.Operation != nil {
			name = oc.Operation.Name
		}
		if len(name) > maxLoggedName {
			name = name[:maxLoggedName] + "…"
		}
		info.operation = name
	}
	if resp != nil {
		info.errors += len(resp.Errors)
	}
	return resp
}

// statusRecorder remembers the status code written through it.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer (flushing, deadlines).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
