package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// requestInfo collects what the request log line reports about a GraphQL operation.
type requestInfo struct {
	operation string
	errors    int
	rejection string // the code of a limit that refused the request
}

type infoKey struct{}

// maxLoggedName bounds the operation name in a log line; a client chooses it.
const maxLoggedName = 100

// logRequests writes one structured log line per request: method, path, GraphQL operation
// name, status, outcome, number of GraphQL errors and duration in milliseconds.
func logRequests(logger *slog.Logger, metrics *Metrics, next http.Handler) http.Handler {
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
		if r.URL.Path == GraphQLPath {
			metrics.observeRequest(info.operation, outcome, time.Since(start), info.rejection)
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
		for _, e := range resp.Errors {
			if code, _ := e.Extensions["code"].(string); limitCodes[code] {
				info.rejection = code
			} else if strings.Contains(e.Message, "exceeded token limit") {
				info.rejection = "TOKEN_LIMIT_EXCEEDED"
			}
		}
	}
	return resp
}

// limitCodes are the codes of refusals by a limit, counted in the metrics.
var limitCodes = map[string]bool{
	codeTooLarge: true, codeQueryTooLong: true, codeTooManyRootFields: true, codeTooDeep: true,
	codeTooManyAliases: true, codeTooManyDirectives: true, "COMPLEXITY_LIMIT_EXCEEDED": true,
}

type requestIDKey struct{}

// RequestIDHeader carries a request's ID in and out.
const RequestIDHeader = "X-Request-ID"

// withRequestID gives each request an ID: the client's X-Request-ID when it is 1 to 64
// letters, digits, '-', '_' or '.', else a random one. It is sent back in X-Request-ID and
// is in every log line about the request.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !requestIDPattern.MatchString(id) {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestIDHandler adds the request's ID to every log record made with its context.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
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

// RequestID returns the ID of the HTTP request that ctx belongs to, or "" outside a request
// (background work such as the read model following the database).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
