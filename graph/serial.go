package graph

import (
	"context"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
)

// The generated executor calls these two functions in place of gqlgen's concurrent ones
// (see internal/cmd/serialexec): resolvers read an in-memory snapshot and never wait, so a
// goroutine per field or list element only costs time.

// marshalSliceSerially marshals the elements of a list one after another; it takes the
// arguments of graphql.MarshalSliceConcurrently and returns what it returns: an element
// whose marshalling panics is null, with the panic reported as an error (unless
// omitPanicHandler).
func marshalSliceSerially(ctx context.Context, length int, _ int64, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	ret := make(graphql.Array, length)
	index := make([]int, length)
	fcs := make([]graphql.FieldContext, length)
	for i := range length {
		index[i] = i
		fcs[i].Index = &index[i]
		childCtx := graphql.WithFieldContext(ctx, &fcs[i])
		if omitPanicHandler {
			ret[i] = marshalElement(childCtx, i)
			continue
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					graphql.AddError(childCtx, graphql.Recover(childCtx, r))
					ret[i] = graphql.Null
				}
			}()
			ret[i] = marshalElement(childCtx, i)
		}()
	}
	return ret
}

// resolveInline resolves field i of out now; it takes the arguments of
// graphql.FieldSet.ResolveConcurrently (with the context first) and has its effect: the value
// is set, a panic becomes null with an error when recoverFromPanic, and a null in a non-null
// field counts as invalid. Fields are never deferred (@defer is not offered).
func resolveInline(ctx context.Context, out *graphql.FieldSet, oc *graphql.OperationContext, _ *graphql.DeferredGroup,
	i int, recoverFromPanic, nonNull bool, resolve func(ctx context.Context) graphql.Marshaler) {
	res := func() (res graphql.Marshaler) {
		if recoverFromPanic {
			defer func() {
				if r := recover(); r != nil {
					oc.Error(ctx, oc.Recover(ctx, r))
					res = graphql.Null
				}
			}()
		}
		return resolve(ctx)
	}()
	out.Values[i] = res
	invalid := graphql.Marshaler(graphql.RequiredNull)
	if nonNull {
		invalid = graphql.Null
	}
	if res == invalid {
		atomic.AddUint32(&out.Invalids, 1)
	}
}
