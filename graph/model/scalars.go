package model

import (
	"encoding/json"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fealac/smegraph/internal/apperr"
)

// MarshalDate writes a stored date ("YYYY-MM-DD") as the Date scalar.
func MarshalDate(d string) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(d)) })
}

// UnmarshalDate reads the Date scalar: a string "YYYY-MM-DD" naming a real calendar day.
func UnmarshalDate(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", apperr.Input("", "a Date is a string \"YYYY-MM-DD\"")
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return "", apperr.Input("", "%s is not a Date \"YYYY-MM-DD\"", apperr.Quote(s))
	}
	return s, nil
}

// MarshalDateTime writes t as the DateTime scalar: RFC 3339 in UTC.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.UTC().Format(time.RFC3339Nano)))
	})
}

// UnmarshalDateTime reads the DateTime scalar: an RFC 3339 string.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, apperr.Input("", "a DateTime is an RFC 3339 string")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, apperr.Input("", "%s is not an RFC 3339 DateTime", apperr.Quote(s))
	}
	return t.UTC(), nil
}

// MarshalJSON writes a stored document as the JSON scalar: relaxed Extended JSON (dates as
// {"$date": "..."}), or null for an absent document.
func MarshalJSON(raw bson.Raw) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		if len(raw) == 0 {
			_, _ = io.WriteString(w, "null")
			return
		}
		b, err := bson.MarshalExtJSON(raw, false, false)
		if err != nil {
			_, _ = io.WriteString(w, "null")
			return
		}
		_, _ = w.Write(b)
	})
}

// UnmarshalJSON refuses JSON input: no argument takes it.
func UnmarshalJSON(any) (bson.Raw, error) {
	return nil, apperr.Input("", "JSON values are output only")
}

// MarshalInt writes the Int scalar.
func MarshalInt(i int) graphql.Marshaler { return graphql.MarshalInt(i) }

// UnmarshalInt reads the Int scalar as the GraphQL specification defines it: a whole number
// within 32 bits (-2147483648..2147483647). Strings, fractions and larger numbers are
// BAD_USER_INPUT (gqlgen's own Int takes 64 bits and numeric strings).
func UnmarshalInt(v any) (int, error) {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case json.Number:
		i, err := x.Int64()
		if err != nil {
			return 0, apperr.Input("", "expected an Int (a whole number within 32 bits), got %s", apperr.Quote(x.String()))
		}
		n = i
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > math.MaxInt32+1 {
			return 0, apperr.Input("", "expected an Int (a whole number within 32 bits)")
		}
		n = int64(x)
	default:
		return 0, apperr.Input("", "expected an Int (a whole number within 32 bits)")
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, apperr.Input("", "%d is outside the 32-bit range of Int", n)
	}
	return int(n), nil
}
