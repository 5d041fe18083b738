package graph_test

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// contractPath is the API contract, a byte-for-byte copy of api/contract.graphqls of the
// steering repo, relative to the graph package directory.
const contractPath = "testdata/contract.graphqls"

// serverSchemaPath is the schema the server is generated from, relative to the graph package
// directory.
const serverSchemaPath = "../schema.graphqls"

// TestSchemaHonoursContract checks that the server schema implements every name of the API
// contract with a compatible type, and reports every mismatch it finds.
func TestSchemaHonoursContract(t *testing.T) {
	contract := loadSchemaFile(t, contractPath)
	server := loadSchemaFile(t, serverSchemaPath)
	problems := checkContract(contract, server)
	for _, p := range problems {
		t.Errorf("%s", p)
	}
	if len(problems) == 0 {
		t.Logf("server schema honours all %d contract types", len(contractTypeNames(contract)))
	}
}

// TestContractCheckCatchesDrift proves that checkContract can fail: it breaks a copy of the
// server schema in one way per case and asserts that the break is reported.
func TestContractCheckCatchesDrift(t *testing.T) {
	contract := loadSchemaFile(t, contractPath)
	raw, err := os.ReadFile(serverSchemaPath)
	if err != nil {
		t.Fatalf("read server schema: %v", err)
	}
	text := string(raw)

	cases := []struct {
		name string
		old  string // text of the server schema to replace; must occur in it
		new  string // its replacement
		want string // a substring of at least one reported problem
	}{
		{
			name: "removed field",
			old:  "  \"Number of countries in the whole set, not just this page.\"\n  totalCount: Int!\n",
			new:  "",
			want: "CountryConnection.totalCount: missing",
		},
		{
			name: "renamed enum value",
			old:  "enum MembershipStatus { MEMBER SUSPENDED OBSERVER }",
			new:  "enum MembershipStatus { MEMBER SUSPENDED WATCHER }",
			want: "MembershipStatus.OBSERVER: missing",
		},
		{
			name: "looser output nullability",
			old:  "  title: String!\n  city: String!",
			new:  "  title: String\n  city: String!",
			want: "Meeting.title: contract String!, server String",
		},
		{
			name: "stricter argument",
			old:  "countries(filter: CountryFilter, orderBy: [CountryOrder!], first: Int,",
			new:  "countries(filter: CountryFilter, orderBy: [CountryOrder!], first: Int!,",
			want: "Query.countries(first): contract Int, server Int!",
		},
		{
			name: "added required argument",
			old:  "stats(asOf: Date): Stats!",
			new:  "stats(asOf: Date, region: String!): Stats!",
			want: "Query.stats(region): server adds required argument String!",
		},
		{
			name: "changed argument default",
			old:  "input CountryOrder { field: CountryOrderField!, direction: SortDirection = ASC }",
			new:  "input CountryOrder { field: CountryOrderField!, direction: SortDirection = DESC }",
			want: "CountryOrder.direction: contract default ASC, server DESC",
		},
		{
			name: "list structure",
			old:  "  topics: [String!]!\n",
			new:  "  topics: String!\n",
			want: "Decision.topics: contract [String!]!, server String!",
		},
		{
			name: "dropped interface",
			old:  "type Meeting implements Node @key",
			new:  "type Meeting @key",
			want: "Meeting: does not implement Node",
		},
		{
			name: "dropped union member",
			old:  "union SearchResult = Country | Agency | Grouping | Meeting | Decision",
			new:  "union SearchResult = Country | Agency | Grouping | Meeting",
			want: "SearchResult: Decision is not a member",
		},
		{
			name: "wrong kind",
			old:  "type Source {",
			new:  "interface Source {",
			want: "Source: contract OBJECT, server INTERFACE",
		},
		{
			name: "added required input field",
			old:  "  yearTo: Int\n",
			new:  "  yearTo: Int\n  exact: Boolean!\n",
			want: "MeetingFilter.exact: server adds required input field Boolean!",
		},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(text, tc.old) {
				t.Fatalf("server schema no longer contains %q; update the drift case", tc.old)
			}
			broken := strings.Replace(text, tc.old, tc.new, 1)
			server, err := gqlparser.LoadSchema(federationPrelude, &ast.Source{Name: "broken.graphqls", Input: broken})
			if err != nil {
				t.Fatalf("load broken server schema: %v", err)
			}
			problems := checkContract(contract, server)
			if len(problems) == 0 {
				t.Fatalf("checkContract reported no mismatch")
			}
			found := false
			for _, p := range problems {
				if strings.Contains(p, tc.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("no problem mentions %q; got:\n%s", tc.want, strings.Join(problems, "\n"))
			}
		})
	}
}

// loadSchemaFile reads and validates the GraphQL schema at path, failing the test on error.
func loadSchemaFile(t *testing.T, path string) *ast.Schema {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	sources := []*ast.Source{{Name: path, Input: string(raw)}}
	if !strings.Contains(path, "contract") {
		sources = append([]*ast.Source{federationPrelude}, sources...)
	}
	schema, err := gqlparser.LoadSchema(sources...)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return schema
}

// builtInScalars are the scalars every GraphQL schema has; the contract need not declare them.
var builtInScalars = map[string]bool{"Int": true, "Float": true, "String": true, "Boolean": true, "ID": true}

// contractTypeNames returns, sorted, the names of the types the contract itself defines,
// leaving out built-in and introspection types.
func contractTypeNames(contract *ast.Schema) []string {
	var names []string
	for name, def := range contract.Types {
		if def.BuiltIn || strings.HasPrefix(name, "__") || builtInScalars[name] {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// checkContract returns every way in which server fails to implement contract, one message
// per mismatch, in a stable order; it returns nil when server honours the contract.
func checkContract(contract, server *ast.Schema) []string {
	var problems []string
	add := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	for _, name := range contractTypeNames(contract) {
		want := contract.Types[name]
		got := server.Types[name]
		if got == nil {
			add("%s: missing %s type", name, want.Kind)
			continue
		}
		if got.Kind != want.Kind {
			add("%s: contract %s, server %s", name, want.Kind, got.Kind)
			continue
		}
		switch want.Kind {
		case ast.Object, ast.Interface:
			checkOutputFields(name, want, got, add)
			for _, intf := range want.Interfaces {
				if !slices.Contains(got.Interfaces, intf) {
					add("%s: does not implement %s", name, intf)
				}
			}
		case ast.InputObject:
			checkInputFields(name, want, got, add)
		case ast.Enum:
			for _, v := range want.EnumValues {
				if got.EnumValues.ForName(v.Name) == nil {
					add("%s.%s: missing enum value", name, v.Name)
				}
			}
		case ast.Union:
			for _, member := range want.Types {
				if !slices.Contains(got.Types, member) {
					add("%s: %s is not a member", name, member)
				}
			}
		case ast.Scalar:
			// Existence, checked above, is all a scalar needs.
		}
	}
	return problems
}

// checkOutputFields reports the fields of the object or interface want that got lacks or
// declares incompatibly, including their arguments.
func checkOutputFields(typeName string, want, got *ast.Definition, add func(string, ...any)) {
	for _, wf := range want.Fields {
		if strings.HasPrefix(wf.Name, "__") {
			continue
		}
		where := typeName + "." + wf.Name
		gf := got.Fields.ForName(wf.Name)
		if gf == nil {
			add("%s: missing", where)
			continue
		}
		if !outputTypeCompatible(wf.Type, gf.Type) {
			add("%s: contract %s, server %s", where, wf.Type, gf.Type)
		}
		for _, wa := range wf.Arguments {
			argWhere := fmt.Sprintf("%s(%s)", where, wa.Name)
			ga := gf.Arguments.ForName(wa.Name)
			if ga == nil {
				add("%s: missing argument", argWhere)
				continue
			}
			if wa.Type.String() != ga.Type.String() {
				add("%s: contract %s, server %s", argWhere, wa.Type, ga.Type)
			}
			checkDefault(argWhere, wa.DefaultValue, ga.DefaultValue, add)
		}
		for _, ga := range gf.Arguments {
			if wf.Arguments.ForName(ga.Name) == nil && ga.Type.NonNull && ga.DefaultValue == nil {
				add("%s(%s): server adds required argument %s", where, ga.Name, ga.Type)
			}
		}
	}
}

// checkInputFields reports the input fields of want that got lacks or types differently, and
// the required input fields got adds.
func checkInputFields(typeName string, want, got *ast.Definition, add func(string, ...any)) {
	for _, wf := range want.Fields {
		where := typeName + "." + wf.Name
		gf := got.Fields.ForName(wf.Name)
		if gf == nil {
			add("%s: missing", where)
			continue
		}
		if wf.Type.String() != gf.Type.String() {
			add("%s: contract %s, server %s", where, wf.Type, gf.Type)
		}
		checkDefault(where, wf.DefaultValue, gf.DefaultValue, add)
	}
	for _, gf := range got.Fields {
		if want.Fields.ForName(gf.Name) == nil && gf.Type.NonNull && gf.DefaultValue == nil {
			add("%s.%s: server adds required input field %s", typeName, gf.Name, gf.Type)
		}
	}
}

// checkDefault reports a default value the contract gives that the server does not give
// identically; where the contract gives none, the server is free to choose.
func checkDefault(where string, want, got *ast.Value, add func(string, ...any)) {
	if want == nil {
		return
	}
	if got == nil {
		add("%s: contract default %s, server none", where, want)
		return
	}
	if want.String() != got.String() {
		add("%s: contract default %s, server %s", where, want, got)
	}
}

// outputTypeCompatible reports whether an output field of type got satisfies a contract field
// of type want: the same named type and list structure, with non-null wherever want is
// non-null (got may be non-null where want is nullable, never the reverse).
func outputTypeCompatible(want, got *ast.Type) bool {
	if want == nil || got == nil {
		return want == got
	}
	if want.NonNull && !got.NonNull {
		return false
	}
	if (want.Elem == nil) != (got.Elem == nil) {
		return false
	}
	if want.Elem != nil {
		return outputTypeCompatible(want.Elem, got.Elem)
	}
	return want.NamedType == got.NamedType
}

// federationPrelude declares the Apollo Federation directive the server schema uses (@key);
// gqlgen adds the full federation schema when it generates the code.
var federationPrelude = &ast.Source{Name: "federation.graphqls",
	Input: "directive @key(fields: String!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE\n"}
