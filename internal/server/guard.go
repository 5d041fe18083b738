package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// Error codes of requests refused before execution.
const (
	codeBadRequest        = "BAD_REQUEST"
	codeUnsupportedMedia  = "UNSUPPORTED_MEDIA_TYPE"
	codeTooLarge          = "REQUEST_TOO_LARGE"
	codeQueryTooLong      = "QUERY_TOO_LONG"
	codeUnsupported       = "UNSUPPORTED_DIRECTIVE"
	codeMethodNotAllowed  = "METHOD_NOT_ALLOWED"
	codeTooManyRootFields = "TOO_MANY_ROOT_FIELDS"
	codeTooDeep           = "DEPTH_LIMIT_EXCEEDED"
	codeTooManyAliases    = "TOO_MANY_ALIASES"
	codeTooManyDirectives = "TOO_MANY_DIRECTIVES"
	codeFederationOff     = "FEDERATION_DISABLED"
)

// guard checks a GraphQL HTTP request's shape before gqlgen sees it: a POST must be a JSON
// object of at most l.MaxBodyBytes whose query is a string of at most l.MaxQueryBytes, with
// operationName a string and variables and extensions objects when present. Batched arrays
// are refused. A refused request gets a GraphQL-shaped error body with a stable
// extensions.code, and never an echo of its body. Every request gets l.RequestTimeout.
func guard(l Limits, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), l.RequestTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		// Names and titles follow Accept-Language when a query gives no lang.
		w.Header().Add("Vary", "Accept, Accept-Language")

		switch r.Method {
		case http.MethodPost:
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || mt != "application/json" {
				refuse(w, r, http.StatusUnsupportedMediaType, codeUnsupportedMedia, "send the request as Content-Type: application/json")
				return
			}
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, l.MaxBodyBytes))
			var tooLarge *http.MaxBytesError
			switch {
			case errors.As(err, &tooLarge):
				refuse(w, r, http.StatusRequestEntityTooLarge, codeTooLarge, fmt.Sprintf("the request body exceeds %d bytes", l.MaxBodyBytes))
				return
			case err != nil:
				refuse(w, r, http.StatusBadRequest, codeBadRequest, "the request body could not be read")
				return
			}
			if code, msg := checkBody(body, l.MaxQueryBytes); code != "" {
				refuse(w, r, http.StatusBadRequest, code, msg)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		case http.MethodGet:
			q := r.URL.Query().Get("query")
			if len(q) > l.MaxQueryBytes {
				refuse(w, r, http.StatusBadRequest, codeQueryTooLong, fmt.Sprintf("the query exceeds %d bytes", l.MaxQueryBytes))
				return
			}
			// A GET must not change state (browsers and caches send GETs freely).
			if doc, err := parser.ParseQuery(&ast.Source{Input: q}); err == nil {
				for _, op := range doc.Operations {
					if op.Operation != ast.Query {
						w.Header().Set("Allow", "POST")
						refuse(w, r, http.StatusMethodNotAllowed, codeMethodNotAllowed, "send mutations with POST")
						return
					}
				}
			}
		case http.MethodOptions:
		default:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			refuse(w, r, http.StatusMethodNotAllowed, codeMethodNotAllowed, "use POST (or GET for queries)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkBody returns the error code and message for a POST body that is not a single
// GraphQL request object, or "" when it is one.
func checkBody(body []byte, maxQuery int) (code, msg string) {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		return codeBadRequest, "batched requests (a JSON array) are not supported; send one request object"
	}
	var req map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil || req == nil || dec.More() {
		return codeBadRequest, "the request body must be one JSON object: {\"query\": \"...\", \"variables\": {...}}"
	}
	is := func(field string, kind byte) bool {
		v, ok := req[field]
		if !ok || string(v) == "null" {
			return true
		}
		return len(v) > 0 && v[0] == kind
	}
	var query string
	q, hasQuery := req["query"]
	if hasQuery && string(q) != "null" && (json.Unmarshal(q, &query) != nil || query == "") {
		return codeBadRequest, "query: must be a non-empty string holding a GraphQL document"
	}
	if query == "" && !bytes.Contains(req["extensions"], []byte(`"persistedQuery"`)) {
		return codeBadRequest, "query: must be a non-empty string holding a GraphQL document (or send extensions.persistedQuery)"
	}
	if len(query) > maxQuery {
		return codeQueryTooLong, fmt.Sprintf("query: exceeds %d bytes", maxQuery)
	}
	switch {
	case !is("operationName", '"'):
		return codeBadRequest, "operationName: must be a string"
	case !is("variables", '{'):
		return codeBadRequest, "variables: must be a JSON object"
	case !is("extensions", '{'):
		return codeBadRequest, "extensions: must be a JSON object"
	}
	return "", ""
}

// refuse writes a GraphQL-shaped error response, as application/graphql-response+json when
// the client accepts it, and counts it for the request log.
func refuse(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	if info, ok := r.Context().Value(infoKey{}).(*requestInfo); ok {
		info.errors++
		if limitCodes[code] {
			info.rejection = code
		}
	}
	w.Header().Set("Content-Type", responseType(r))
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]string{"code": code}}},
	})
}

// operationLimits refuses, after parsing and before any database work, operations that
// use @defer or @stream (plain JSON responses would silently drop the deferred part), nest
// deeper than MaxDepth, or have more aliases, root fields or directives on one field than
// the limits allow.
type operationLimits struct {
	l          Limits
	federation bool
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = operationLimits{}

func (operationLimits) ExtensionName() string                   { return "OperationLimits" }
func (operationLimits) Validate(graphql.ExecutableSchema) error { return nil }

// refusal is the error of an operation over a limit.
func refusal(code, format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": code}}
}

func (o operationLimits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	var (
		depth, aliases, directives int
		deferred                   *ast.Directive
	)
	var walk func(set ast.SelectionSet, level, fragments int)
	walk = func(set ast.SelectionSet, level, fragments int) {
		if fragments > 20 { // fragment cycles are refused by validation; this bounds the walk anyway
			return
		}
		for _, sel := range set {
			var dirs ast.DirectiveList
			switch s := sel.(type) {
			case *ast.Field:
				depth = max(depth, level)
				if s.Alias != "" && s.Alias != s.Name {
					aliases++
				}
				dirs = s.Directives
				walk(s.SelectionSet, level+1, fragments)
			case *ast.InlineFragment:
				dirs = s.Directives
				walk(s.SelectionSet, level, fragments+1)
			case *ast.FragmentSpread:
				dirs = s.Directives
				if s.Definition != nil {
					walk(s.Definition.SelectionSet, level, fragments+1)
				}
			}
			directives = max(directives, len(dirs))
			for _, d := range dirs {
				if d.Name == "defer" || d.Name == "stream" {
					deferred = d
				}
			}
		}
	}
	walk(oc.Operation.SelectionSet, 1, 0)
	switch {
	case deferred != nil:
		e := refusal(codeUnsupported, "@%s is not supported; send the query without it", deferred.Name)
		e.Locations = []gqlerror.Location{{Line: deferred.Position.Line, Column: deferred.Position.Column}}
		return e
	case depth > o.l.MaxDepth:
		return refusal(codeTooDeep, "the operation nests %d levels deep; at most %d", depth, o.l.MaxDepth)
	case aliases > o.l.MaxAliases:
		return refusal(codeTooManyAliases, "the operation has %d aliases; at most %d", aliases, o.l.MaxAliases)
	case directives > o.l.MaxDirectivesPerField:
		return refusal(codeTooManyDirectives, "a field has %d directives; at most %d", directives, o.l.MaxDirectivesPerField)
	}
	federationOnly := len(oc.Operation.SelectionSet) > 0
	for _, sel := range oc.Operation.SelectionSet {
		f, ok := sel.(*ast.Field)
		isFed := ok && (f.Name == "_service" || f.Name == "_entities")
		federationOnly = federationOnly && isFed
		if isFed && !o.federation {
			return refusal(codeFederationOff, "%s: federation is turned off on this server (--federation)", f.Name)
		}
	}
	if federationOnly && o.federation {
		// gqlgen answers _service only with introspection on; a router must be able to read
		// the subgraph's schema even when introspection is off for everyone else.
		oc.DisableIntrospection = false
	}
	if n := countFields(oc.Operation.SelectionSet, 0); n > o.l.MaxRootFields {
		return refusal(codeTooManyRootFields, "the operation has %d root fields; at most %d", n, o.l.MaxRootFields)
	}
	return nil
}

// maxErrorsPerRule bounds the errors of one validation rule. gqlparser reports one error per
// conflicting pair of fields, so a 29 KB query of 1,000 aliased fields produced 499,500
// errors (120 MB).
const maxErrorsPerRule = 5

// cappedRules returns gqlparser's default validation rules, each reporting at most
// maxErrorsPerRule errors per query.
func cappedRules() *rules.Rules {
	r := rules.NewDefaultRules()
	for name, rule := range r.GetInner() {
		r.ReplaceRule(name, func(observers *core.Events, addError core.AddErrFunc) {
			n := 0
			rule(observers, func(options ...core.ErrorOption) {
				if n++; n <= maxErrorsPerRule {
					addError(options...)
				}
			})
		})
	}
	return r
}

// countFields counts the fields of a selection set, looking through fragments (to a bounded
// depth: fragment cycles are refused by validation, but this runs on any document).
func countFields(set ast.SelectionSet, depth int) int {
	if depth > 10 {
		return 0
	}
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			n++
		case *ast.InlineFragment:
			n += countFields(s.SelectionSet, depth+1)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				n += countFields(s.Definition.SelectionSet, depth+1)
			}
		}
	}
	return n
}

// graphqlResponseJSON is the media type of the GraphQL-over-HTTP specification.
const graphqlResponseJSON = "application/graphql-response+json"

// responseType returns the media type to answer r with: application/graphql-response+json
// when its Accept header names it before application/json, else application/json.
func responseType(r *http.Request) string {
	for part := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case graphqlResponseJSON:
			return graphqlResponseJSON
		case "application/json":
			return "application/json"
		}
	}
	return "application/json"
}

// specStatus makes gqlgen's status codes follow the GraphQL-over-HTTP specification: a
// well-formed request answered as application/json gets 200 even when the document does not
// validate (gqlgen answers 422); application/graphql-response+json keeps gqlgen's 4xx.
func specStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&statusFixer{ResponseWriter: w}, r)
	})
}

type statusFixer struct{ http.ResponseWriter }

func (s *statusFixer) WriteHeader(code int) {
	if code == http.StatusUnprocessableEntity && strings.HasPrefix(s.Header().Get("Content-Type"), "application/json") {
		code = http.StatusOK
	}
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusFixer) Unwrap() http.ResponseWriter { return s.ResponseWriter }
