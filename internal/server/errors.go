package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/fealac/smegraph/internal/apperr"
)

// Messages shown for faults whose cause stays in the log.
const (
	internalMessage    = "internal error"
	unavailableMessage = "the database is unavailable; try again later"
)

// presenter turns resolver errors into GraphQL errors with a stable extensions.code:
// client-facing errors (apperr) keep their message and name their argument, failures to
// coerce an argument are BAD_USER_INPUT, gqlgen's own parse and validation errors pass
// unchanged, and anything else is logged and shown as a generic message, so driver text, Go
// type names and stack traces never reach a client.
func presenter(logger *slog.Logger, suggestions bool) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)

		var ae *apperr.Error
		if errors.As(err, &ae) {
			if ae.Argument == "" {
				ae = &apperr.Error{Code: ae.Code, Argument: argumentOf(ctx, gqlErr.Path), Message: ae.Message}
			}
			return withCode(gqlErr, ae.Error(), ae.Code, ae.Argument)
		}
		if gqlErr.Err == nil {
			e := ownError(gqlErr) // gqlgen's own error (parse, validation)
			if !suggestions {
				// gqlgen's switch covers unknown fields only; arguments and enum values get
				// their hints from gqlparser's rules.
				e.Message = didYouMean.ReplaceAllString(e.Message, "")
			}
			return e
		}
		if gqlErr.Err.Error() == "introspection disabled" { // gqlgen's own, with Introspection off
			return withCode(gqlErr, "introspection is turned off on this server", "INTROSPECTION_DISABLED", "")
		}
		if arg := argumentOf(ctx, gqlErr.Path); arg != "" {
			return withCode(gqlErr, arg+": invalid value", apperr.BadUserInput, arg)
		}

		code, msg := apperr.Internal, internalMessage
		switch {
		case isDatabaseFault(err):
			code, msg = apperr.Unavailable, unavailableMessage
		case len(gqlErr.Path) > 0 && gqlErr.Path[0] == ast.PathName("_entities"):
			// gqlgen's federation runtime refusing a representation (unknown __typename,
			// missing key field): the client's input, said plainly.
			msg := "a representation is malformed"
			if m := missingKey.FindStringSubmatch(gqlErr.Message); m != nil {
				msg = fmt.Sprintf("a representation of %s lacks its key field %s", m[2], m[1])
			} else if m := unknownType.FindStringSubmatch(gqlErr.Message); m != nil {
				msg = fmt.Sprintf("%q is not an entity type of this subgraph", m[1])
			} else if strings.Contains(gqlErr.Message, "__typename") {
				msg = "a representation lacks its __typename"
			}
			return withCode(gqlErr, "representations: "+msg, apperr.BadUserInput, "representations")
		}
		logger.ErrorContext(ctx, "resolver failed", "path", gqlErr.Path.String(), "code", string(code), "err", err)
		return withCode(gqlErr, msg, code, "")
	}
}

// maxMessage bounds the message of gqlgen's own errors, which may quote client input (an
// operation name, say) at any length.
const maxMessage = 300

// wrongVariable matches gqlparser's messages for a variable (or a field inside one) of the
// wrong type, which name Go kinds: "cannot use map as String", "cannot use value 0 as Int"
// for 1.5, "must be a MeetingFilter, not a slice".
var wrongVariable = regexp.MustCompile(`^(?:cannot use .* as|must be an?) ([A-Za-z_][A-Za-z0-9_]*)(?:, not an? .*)?$`)

// Patterns of gqlgen's and gqlparser's own messages.
var (
	didYouMean  = regexp.MustCompile(`\s*Did you mean .*$`)
	missingKey  = regexp.MustCompile(`missing Key Field "([^"]+)" for (\w+)`)
	unknownType = regexp.MustCompile(`unknown type: (\S+)`)
)

// ownError returns gqlgen's own parse or validation error as clients should see it: a
// variable, or a field inside one, that does not fit its type is BAD_USER_INPUT naming it
// (extensions.variable, e.g. "f.yearFrom"), and long messages are cut.
func ownError(e *gqlerror.Error) *gqlerror.Error {
	if len(e.Path) >= 2 && e.Path[0] == ast.PathName("variable") {
		var name strings.Builder
		for i, p := range e.Path[1:] {
			switch p := p.(type) {
			case ast.PathName:
				if i > 0 {
					name.WriteByte('.')
				}
				name.WriteString(string(p))
			case ast.PathIndex:
				fmt.Fprintf(&name, "[%d]", int(p))
			}
		}
		msg := e.Message
		if m := wrongVariable.FindStringSubmatch(msg); m != nil {
			msg = "expected a value of type " + m[1]
		}
		return &gqlerror.Error{
			Message:    "variable $" + name.String() + ": " + truncate(msg),
			Locations:  e.Locations,
			Extensions: map[string]any{"code": string(apperr.BadUserInput), "variable": name.String()},
		}
	}
	e.Message = truncate(e.Message)
	if _, ok := e.Extensions["code"]; !ok {
		// A few of gqlgen's own errors (an APQ hash that does not match) come without one.
		if e.Extensions == nil {
			e.Extensions = map[string]any{}
		}
		e.Extensions["code"] = codeBadRequest
	}
	return e
}

// truncate cuts s to maxMessage bytes at a rune boundary.
func truncate(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// withCode returns a copy of e with message msg and extensions.code code (and
// extensions.argument when arg is set), dropping the wrapped cause.
func withCode(e *gqlerror.Error, msg string, code apperr.Code, arg string) *gqlerror.Error {
	ext := map[string]any{"code": string(code)}
	if arg != "" {
		ext["argument"] = arg
	}
	return &gqlerror.Error{Message: msg, Path: e.Path, Locations: e.Locations, Extensions: ext}
}

// argumentOf returns the name of the argument that path points at, when path is one step
// below the current field and that step names one of the field's arguments (gqlgen adds the
// argument name to the path when coercing it); otherwise "".
func argumentOf(ctx context.Context, path ast.Path) string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || len(path) == 0 {
		return ""
	}
	name, ok := path[len(path)-1].(ast.PathName)
	if !ok || len(path) != len(fc.Path())+1 {
		return ""
	}
	for _, a := range fc.Field.Arguments {
		if a.Name == string(name) {
			return a.Name
		}
	}
	return ""
}

// isDatabaseFault reports whether err comes from the database being unreachable, slow or
// refusing the command, rather than from a bug.
func isDatabaseFault(err error) bool {
	var se mongo.ServerError
	return mongo.IsNetworkError(err) || mongo.IsTimeout(err) || errors.As(err, &se) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, mongo.ErrClientDisconnected)
}

// recoverer turns a resolver panic into an internal error for the client and a log entry with
// the stack; the server keeps serving.
func recoverer(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "resolver panicked", "panic", p, "stack", string(debug.Stack()))
		return &apperr.Error{Code: apperr.Internal, Message: internalMessage}
	}
}
