// Command serialexec rewrites gqlgen's generated executor (graph/generated.go) so that it
// resolves the fields of an object and the elements of a list one after another, in the
// request's goroutine, instead of starting a goroutine for each. It runs after gqlgen in
// go generate (see graph/resolver.go).
//
// Why: gqlgen starts a goroutine per resolver field of an object with more than one such
// field and per element of every list of objects, so that resolvers that wait on I/O overlap.
// smegraph's resolvers read an in-memory snapshot and never wait, so those goroutines are
// pure cost: each grows its stack and adds allocations. Measured on the dashboard query
// (2 cores, 8 clients, GOGC=400): 196 requests/s with them, 528 without.
//
// The rewrite replaces calls, not logic: graph/serial.go holds the two functions the calls
// go to, with the same arguments and the same results (panics recovered into a null and an
// error, non-null violations counted). It fails when gqlgen's output no longer has the
// expected calls, so that an upgrade cannot silently undo it.
package main

import (
	"fmt"
	"go/format"
	"os"
	"strings"
)

// rewrites are the calls replaced, with the replacement.
var rewrites = []struct{ from, to string }{
	// Elements of a list of objects.
	{"graphql.MarshalSliceConcurrently(", "marshalSliceSerially("},
	// Resolver fields of an object.
	{"out.ResolveConcurrently(ec.OperationContext, &deferred, i,", "resolveInline(ctx, out, ec.OperationContext, &deferred, i,"},
	// @defer is not offered, so no field set has deferred fields: the group stays empty, and
	// building it (its path copied for every object) is skipped.
	{"deferred := graphql.NewDeferredGroup(ctx)", "var deferred graphql.DeferredGroup"},
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: serialexec FILE")
		os.Exit(2)
	}
	if err := rewrite(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "serialexec:", err)
		os.Exit(1)
	}
}

// rewrite applies the rewrites to the file at path.
func rewrite(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	src := string(b)
	for _, r := range rewrites {
		if !strings.Contains(src, r.from) {
			return fmt.Errorf("%s has no %q: gqlgen's output changed; update this rewrite", path, r.from)
		}
		src = strings.ReplaceAll(src, r.from, r.to)
	}
	out, err := format.Source([]byte(src))
	if err != nil {
		return fmt.Errorf("format %s: %w", path, err)
	}
	return os.WriteFile(path, out, 0o644)
}
