// Package apperr defines the errors that smegraph shows to clients as they are.
//
// Anything that is not an *Error is an internal fault: the GraphQL error presenter logs it
// and shows the client a generic message, so driver text, Go type names and stack traces
// never leave the process.
package apperr

import (
	"fmt"
	"strconv"
)

// Code is a stable machine-readable error code, sent as the GraphQL error's
// extensions.code.
type Code string

// The codes smegraph sends. Clients may switch on them; they never change meaning.
const (
	BadUserInput Code = "BAD_USER_INPUT"
	NotFound     Code = "NOT_FOUND"
	Internal     Code = "INTERNAL_SERVER_ERROR"
	// Unavailable means the database could not be reached or did not answer in time; the
	// request may succeed when retried.
	Unavailable Code = "DATABASE_UNAVAILABLE"
	// Unauthenticated means a mutation came without a valid token.
	Unauthenticated Code = "UNAUTHENTICATED"
	// Forbidden means the token may not do what was asked.
	Forbidden Code = "FORBIDDEN"
	// Conflict means the record changed since the version the client read.
	Conflict Code = "CONFLICT"
)

// Error is a client-facing error: its message is safe to show as it is.
type Error struct {
	Code Code
	// Argument names the GraphQL argument at fault, e.g. "first" or "filter.name", or is
	// empty when the error concerns no argument.
	Argument string
	Message  string
}

func (e *Error) Error() string {
	if e.Argument == "" {
		return e.Message
	}
	return e.Argument + ": " + e.Message
}

// Quote returns s quoted for an error message, cut to 64 characters so that a huge input is
// not echoed back whole.
func Quote(s string) string {
	const max = 64
	if r := []rune(s); len(r) > max {
		return strconv.Quote(string(r[:max])) + "…"
	}
	return strconv.Quote(s)
}

// Input returns a BAD_USER_INPUT error for the named argument.
func Input(argument, format string, args ...any) *Error {
	return &Error{Code: BadUserInput, Argument: argument, Message: fmt.Sprintf(format, args...)}
}
