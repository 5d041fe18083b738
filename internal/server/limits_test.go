package server_test

import (
	"strings"
	"testing"

	"github.com/fealac/smegraph/internal/server"
	"github.com/fealac/smegraph/internal/testenv"
)

// TestOperationLimits checks each limit with its own code, before any database work, with the
// defaults and with limits configured lower.
func TestOperationLimits(t *testing.T) {
	e := testenv.Seeded(t)
	deep := "{ country(code: \"PE\") { " + strings.Repeat("agencies { country { ", 6) + "code" + strings.Repeat(" } }", 6) + " } }"
	var aliases strings.Builder
	aliases.WriteString("{ country(code: \"PE\") { ")
	for i := range 51 {
		aliases.WriteString("a" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ": code ")
	}
	aliases.WriteString("} }")
	directives := `{ country(code: "PE") { code ` + strings.Repeat(`@include(if: true) `, 6) + `} }`
	for _, c := range []struct{ name, query, code string }{
		{"depth", deep, "DEPTH_LIMIT_EXCEEDED"},
		{"aliases", aliases.String(), "TOO_MANY_ALIASES"},
		{"directives", directives, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.ResetCommands()
			r := e.Query(c.query, nil)
			if c.code == "" {
				// Repeating a non-repeatable directive is a validation error already.
				if len(r.Errors) == 0 {
					t.Errorf("accepted: %.200s", r.Body)
				}
				return
			}
			if len(r.Errors) != 1 || r.Errors[0].Code() != c.code {
				t.Errorf("%.300s", r.Body)
			}
			if n := len(e.Commands()); n != 0 {
				t.Errorf("%d commands before the refusal", n)
			}
		})
	}

	o := server.Defaults()
	o.Limits.MaxDepth, o.Limits.MaxRootFields, o.Limits.MaxDirectivesPerField = 3, 2, 1
	strict := e.Serve(o)
	for q, code := range map[string]string{
		`{ country(code: "PE") { agencies { country { code } } } }`:                                           "DEPTH_LIMIT_EXCEEDED",
		`{ a: country(code: "PE") { code } b: country(code: "CL") { code } c: country(code: "AR") { code } }`: "TOO_MANY_ROOT_FIELDS",
		`query($y: Boolean!) { country(code: "PE") { code @include(if: $y) @skip(if: false) } }`:              "TOO_MANY_DIRECTIVES",
	} {
		r := strict.Query(q, map[string]any{"y": true})
		if len(r.Errors) != 1 || r.Errors[0].Code() != code {
			t.Errorf("%s: %.300s", q, r.Body)
		}
	}
	if r := strict.Query(`{ country(code: "PE") { agencies { url } } }`, nil); len(r.Errors) != 0 {
		t.Errorf("within the limits: %s", r.Body)
	}
}

// TestProductionMode checks that production turns off introspection and field suggestions.
func TestProductionMode(t *testing.T) {
	e := testenv.Seeded(t)
	if r := e.Query(`{ __schema { queryType { name } } }`, nil); len(r.Errors) != 0 {
		t.Errorf("development introspection: %s", r.Body)
	}
	if r := e.Query(`{ countrie { code } }`, nil); !strings.Contains(string(r.Body), "Did you mean") {
		t.Errorf("development suggestions: %s", r.Body)
	}
	prod := e.Serve(server.Defaults().Production())
	if r := prod.Query(`{ __schema { queryType { name } } }`, nil); len(r.Errors) == 0 {
		t.Errorf("production introspection answered: %s", r.Body)
	}
	if r := prod.Query(`{ countrie { code } }`, nil); strings.Contains(string(r.Body), "Did you mean") || len(r.Errors) == 0 {
		t.Errorf("production suggestions: %s", r.Body)
	}
	if r := prod.Query(`{ country(code: "PE") { name } }`, nil); string(r.Data) != `{"country":{"name":"Peru"}}` {
		t.Errorf("production query: %s", r.Body)
	}
}
