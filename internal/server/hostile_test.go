package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fealac/smegraph/internal/testenv"
)

// These tests keep the cases that an adversarial review found, one kind per test.

// TestFanOutRefused checks that queries whose nested lists multiply beyond the complexity
// limit are refused before any database work; one of them ran the server out of memory.
func TestFanOutRefused(t *testing.T) {
	e := testenv.Seeded(t)
	for _, q := range []string{
		`{groupings(first:100){nodes{members{groupings{members{code}}}}}}`,
		`{groupings(first:100){nodes{members{groupings{members{groupings{members{groupings{members{code}}}}}}}}}}`,
		`{countries(first:100){nodes{agencies{country{agencies{country{agencies{country{groupings{members{code}}}}}}}}}}}`,
		`{a: groupings(first:100){nodes{members{groupings{members{code}}}}} b: groupings(first:100){nodes{members{code}}}}`,
	} {
		e.ResetCommands()
		r := e.Query(q, nil)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "COMPLEXITY_LIMIT_EXCEEDED" {
			t.Errorf("%s: %.300s", q, r.Body)
		}
		if n := len(e.Commands()); n != 0 {
			t.Errorf("%s: %d database commands before the refusal", q, n)
		}
	}
	if r := e.Query(dashboardQuery, nil); len(r.Errors) != 0 {
		t.Errorf("the dashboard query must pass: %.300s", r.Body)
	}
}

// TestValidationAmplification checks that a query whose validation errors grow with the
// square of its size gets a bounded answer (1,000 conflicting aliases gave 499,500 errors),
// and that the parser's token limit and the query length limit hold.
func TestValidationAmplification(t *testing.T) {
	e := testenv.Seeded(t)
	var b strings.Builder
	b.WriteString("{")
	for i := range 1000 {
		fmt.Fprintf(&b, `a:country(code:"P%d"){code} `, i)
	}
	b.WriteString("}")
	r := e.Query(b.String(), nil)
	if len(r.Errors) == 0 || len(r.Errors) > 50 || len(r.Body) > 20_000 {
		t.Errorf("conflicting aliases: %d errors, %d bytes", len(r.Errors), len(r.Body))
	}

	r = e.Query("{"+strings.Repeat("a ", 6000)+"}", nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "GRAPHQL_PARSE_FAILED" {
		t.Errorf("token limit: %.300s", r.Body)
	}
	r = e.Query("{"+strings.Repeat("__typename ", 4000)+"}", nil)
	if r.Status != 400 || len(r.Errors) != 1 || r.Errors[0].Code() != "QUERY_TOO_LONG" {
		t.Errorf("query length: %d %.300s", r.Status, r.Body)
	}
}

// TestMalformedRequests checks that request bodies that are not one GraphQL request object
// get a GraphQL-shaped error with a stable code, no Go text and no echo of the body.
func TestMalformedRequests(t *testing.T) {
	e := testenv.Seeded(t)
	cases := []struct {
		name, contentType, body string
		status                  int
		code                    string
	}{
		{"empty array", "application/json", `[]`, 400, "BAD_REQUEST"},
		{"batch", "application/json", `[{"query":"{__typename}"},{"query":"{__typename}"}]`, 400, "BAD_REQUEST"},
		{"variables not an object", "application/json", `{"query":"{__typename}","variables":"x"}`, 400, "BAD_REQUEST"},
		{"extensions not an object", "application/json", `{"query":"{__typename}","extensions":[1]}`, 400, "BAD_REQUEST"},
		{"query not a string", "application/json", `{"query":123}`, 400, "BAD_REQUEST"},
		{"no query", "application/json", `{"variables":{}}`, 400, "BAD_REQUEST"},
		{"operationName not a string", "application/json", `{"query":"{__typename}","operationName":5}`, 400, "BAD_REQUEST"},
		{"truncated JSON", "application/json", `{`, 400, "BAD_REQUEST"},
		{"not JSON", "application/json", "\xff\xfe{ secret-ish body }", 400, "BAD_REQUEST"},
		{"trailing garbage", "application/json", `{"query":"{__typename}"} trailing`, 400, "BAD_REQUEST"},
		{"JSON null", "application/json", `null`, 400, "BAD_REQUEST"},
		{"text/plain", "text/plain", `{"query":"{__typename}"}`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"form", "application/x-www-form-urlencoded", `query=%7B__typename%7D`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"no content type", "", `{"query":"{__typename}"}`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"over 1 MiB", "application/json", `{"query":"{__typename}","variables":{"x":"` + strings.Repeat("a", 2<<20) + `"}}`, 413, "REQUEST_TOO_LARGE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", strings.NewReader(c.body))
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r := testenv.Decode(t, resp)
			testenv.LeakCheck(t, r.Body)
			if r.Status != c.status || len(r.Errors) != 1 || r.Errors[0].Code() != c.code {
				t.Errorf("got %d %s", r.Status, r.Body)
			}
			if len(r.Body) > 500 || (len(c.body) > 12 && bytes.Contains(r.Body, []byte(c.body[2:12]))) {
				t.Errorf("the response echoes the body: %.300s", r.Body)
			}
		})
	}
}

// TestDeferRefused checks that @defer, which plain JSON responses cannot carry, is refused
// instead of answering null for non-null fields.
func TestDeferRefused(t *testing.T) {
	e := testenv.Seeded(t)
	for _, q := range []string{
		`{ countries(first: 2) { ... @defer { totalCount } nodes { code } } }`,
		`{ country(code: "PE") { ...F @defer code } } fragment F on Country { name(lang: "!!") }`,
	} {
		r := e.Query(q, nil)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "UNSUPPORTED_DIRECTIVE" || r.Data != nil && string(r.Data) != "null" {
			t.Errorf("%s: %s", q, r.Body)
		}
	}
}

// TestWrongVariables checks that variables of the wrong type, including MongoDB-operator
// shaped objects, are BAD_USER_INPUT naming the variable, in words without Go kinds.
func TestWrongVariables(t *testing.T) {
	e := testenv.Seeded(t)
	cases := []struct {
		query string
		vars  map[string]any
		want  string
	}{
		{`query($c: String!) { country(code: $c) { code } }`, map[string]any{"c": map[string]any{"$ne": nil}}, "variable $c: expected a value of type String"},
		{`query($c: String!) { country(code: $c) { code } }`, map[string]any{"c": []string{"PE"}}, "variable $c: expected a value of type String"},
		{`query($f: Int) { countries(first: $f) { totalCount } }`, map[string]any{"f": 1.5}, "variable $f: expected a value of type Int"},
		{`query($f: Int) { countries(first: $f) { totalCount } }`, map[string]any{"f": true}, "variable $f: expected a value of type Int"},
		{`query($f: Int) { countries(first: $f) { totalCount } }`, map[string]any{"f": 99999999999}, "first: 99999999999 is outside the 32-bit range of Int"},
	}
	for _, c := range cases {
		r := e.Query(c.query, c.vars)
		testenv.LeakCheck(t, r.Body)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || !strings.HasPrefix(r.Errors[0].Message, c.want) {
			t.Errorf("%v: %s", c.vars, r.Body)
		}
		for _, goish := range []string{"map", "slice", "bool", "value 0", "int64", "float"} {
			if strings.Contains(r.Errors[0].Message, goish) {
				t.Errorf("%v: message names a Go kind: %s", c.vars, r.Errors[0].Message)
			}
		}
	}
}

// TestForgedInput checks forged cursors, non-canonical IDs and huge inputs echoed back.
func TestForgedInput(t *testing.T) {
	e := testenv.Seeded(t)
	// A cursor of the right shape with a checksum anyone can compute is refused: cursors
	// carry an HMAC under a key only the server knows.
	b, _ := bson.Marshal(bson.D{{Key: "o", Value: "country:code"}, {Key: "v", Value: bson.A{"PE"}}})
	sum := sha256.Sum256(b)
	for _, forged := range []string{
		base64.RawURLEncoding.EncodeToString(append(b, sum[:4]...)),
		base64.RawURLEncoding.EncodeToString(append(b, sum[:16]...)),
	} {
		r := e.Query(`query($c: String) { countries(after: $c) { totalCount } }`, map[string]any{"c": forged})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Errorf("forged cursor accepted: %s", r.Body)
		}
	}
	// Peru's ID is Q291bnRyeTpQRQ; these decode to the same bytes but are not canonical.
	for _, id := range []string{"Q291bnRyeTpQRR", "Q291bnRyeTpQRT", "Q291bnRyeTpQRQ=="} {
		r := e.Query(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Errorf("non-canonical ID %s: %s", id, r.Body)
		}
	}
	huge := strings.Repeat("x", 200_000)
	for _, q := range []string{
		`query($v: ID!) { agency(id: $v) { id } }`,
		`query($v: String) { country(code: "PE") { name(lang: $v) } }`,
		`query($v: Date) { grouping(slug: "fealac") { memberCount(asOf: $v) } }`,
	} {
		r := e.Query(q, map[string]any{"v": huge})
		if len(r.Errors) != 1 || len(r.Body) > 1000 {
			t.Errorf("%s: %d errors, %d bytes", q, len(r.Errors), len(r.Body))
		}
	}
	req := `{"query":"{ __typename }","operationName":"` + strings.Repeat("N", 100_000) + `"}`
	resp, err := http.Post(e.Server.URL+"/graphql", "application/json", strings.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	if r := testenv.Decode(t, resp); len(r.Body) > 1000 {
		t.Errorf("operation name echoed whole: %d bytes", len(r.Body))
	}
	if strings.Contains(e.Logs(), strings.Repeat("N", 1000)) {
		t.Error("operation name logged whole")
	}
}
