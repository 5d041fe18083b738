// Package gid encodes and decodes the graph's global node IDs.
//
// An ID is the unpadded base64url encoding of "<Type>:<key>", e.g. "Country:PE" becomes
// "Q291bnRyeTpQRQ". Clients treat IDs as opaque; the encoding only has to be stable, so that
// an ID saved by a dashboard keeps working.
package gid

import (
	"encoding/base64"
	"errors"
	"strings"
)

// Type names the GraphQL type a node ID belongs to.
type Type string

// The node types of the graph.
const (
	Country  Type = "Country"
	Agency   Type = "Agency"
	Grouping Type = "Grouping"
	Meeting  Type = "Meeting"
	Decision Type = "Decision"
)

// ErrMalformed is returned by Decode for a string that is not a node ID of a known type.
var ErrMalformed = errors.New("not a valid node ID")

// Encode returns the global ID of the node of type t stored under key.
func Encode(t Type, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(string(t) + ":" + key))
}

// Decode splits a global ID into its type and key. It returns ErrMalformed when id is not
// canonical unpadded base64url, has no type prefix, names an unknown type or has an empty key.
func Decode(id string) (Type, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		return "", "", ErrMalformed
	}
	t, key, ok := strings.Cut(string(raw), ":")
	if !ok || key == "" {
		return "", "", ErrMalformed
	}
	switch Type(t) {
	case Country, Agency, Grouping, Meeting, Decision:
	default:
		return "", "", ErrMalformed
	}
	// base64 lets the last character carry unused bits; only the canonical spelling is an
	// ID, so that a node has exactly one.
	if Encode(Type(t), key) != id {
		return "", "", ErrMalformed
	}
	return Type(t), key, nil
}
