package transfer_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/fealac/smegraph/internal/store"
	"github.com/fealac/smegraph/internal/testenv"
	"github.com/fealac/smegraph/internal/transfer"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func export(t *testing.T, s *store.Store, format string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := transfer.Export(context.Background(), s, format, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestRoundTrip checks export, import, export gives the same bytes in every format, that the
// list export reproduces the brief's list, and that a second import changes nothing.
func TestRoundTrip(t *testing.T) {
	e := testenv.Seeded(t)
	ctx := context.Background()
	// Edits first, so the files hold more than the seed: one of them looks like a spreadsheet
	// formula, which the CSV guards with an apostrophe and reads back unchanged.
	if _, err := e.Store.CreateAgency(ctx, store.CLIActor, store.AgencyEdit{Country: new("JP"), Name: new("SME Agency"),
		URL: new("https://www.chusho.meti.go.jp/"), Given: map[string]bool{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.CreateAgency(ctx, store.CLIActor, store.AgencyEdit{Country: new("MN"), Name: new("=cmd|'/C calc'!A0"),
		Acronym: new("+SUM(1)"), Given: map[string]bool{}}); err != nil {
		t.Fatal(err)
	}
	if csv := string(export(t, e.Store, "csv")); !strings.Contains(csv, `,'=cmd|'/C calc'!A0,'+SUM(1),`) {
		t.Errorf("formulas are not guarded:\n%s", csv)
	}
	for _, format := range transfer.Formats {
		t.Run(format, func(t *testing.T) {
			first := export(t, e.Store, format)
			var out bytes.Buffer
			if err := transfer.Import(ctx, e.Store, format, bytes.NewReader(first), false, &out); err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(out.String()) != "nothing to change" {
				t.Errorf("importing an export changed: %s", out.String())
			}
			if second := export(t, e.Store, format); !bytes.Equal(first, second) {
				t.Errorf("export, import, export differ:\n%s\n---\n%s", first, second)
			}
		})
	}
	list := string(export(t, e.Store, "list"))
	for _, line := range []string{"Korea http://www.mss.go.kr/site/eng/main.do\n", "Colombia www.mincit.gov.co\n", "Japan https://www.chusho.meti.go.jp/\n", "Vietnam NA\n"} {
		if !strings.Contains(list, line) {
			t.Errorf("list export lacks %q", line)
		}
	}
}

// TestImportChecksTheWholeFile checks that one bad line makes an import write nothing, with
// every bad line reported by number; that a dry run writes nothing; and that an import is
// applied once and audited as the command line's.
func TestImportChecksTheWholeFile(t *testing.T) {
	e := testenv.Seeded(t)
	ctx := context.Background()
	bad := "country,countryName,agencyId,agencyName,acronym,kind,url\n" +
		"PE,Peru,,New Peru Agency,NPA,AGENCY,www.example.pe\n" +
		"XX,Nowhere,,A,,OTHER,\n" +
		"CL,Chile,,B,,WRONG,\n"
	e.ResetCommands()
	err := transfer.Import(ctx, e.Store, "csv", strings.NewReader(bad), false, &bytes.Buffer{})
	var lines transfer.Errors
	if !errors.As(err, &lines) || len(lines) != 2 || lines[0].Line != 3 || lines[1].Line != 4 {
		t.Fatalf("errors: %v", err)
	}
	for _, c := range e.Commands() {
		if c != "find" {
			t.Errorf("a bad file wrote %q", c)
		}
	}

	good := "country,countryName,agencyId,agencyName,acronym,kind,url\nPE,Peru,,New Peru Agency,NPA,AGENCY,www.example.pe\n"
	var out bytes.Buffer
	e.ResetCommands()
	if err := transfer.Import(ctx, e.Store, "csv", strings.NewReader(good), true, &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "create an agency of PE (http://www.example.pe)\n" {
		t.Errorf("dry run printed %q", out.String())
	}
	for _, c := range e.Commands() {
		if c != "find" {
			t.Errorf("a dry run wrote %q", c)
		}
	}
	for range 2 {
		if err := transfer.Import(ctx, e.Store, "csv", strings.NewReader(good), false, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
	}
	admin := e.Token("center", "admin")
	var ch struct {
		Changes struct {
			TotalCount int
			Nodes      []struct{ Actor, Operation string }
		}
	}
	e.QueryAs(admin, `{ changes { totalCount nodes { actor operation } } }`, nil).MustData(t, &ch)
	if ch.Changes.TotalCount != 1 || ch.Changes.Nodes[0].Actor != "cli" || ch.Changes.Nodes[0].Operation != "CREATE" {
		t.Errorf("audit after importing twice: %+v", ch.Changes)
	}

	// A broken JSON export is refused whole too.
	err = transfer.Import(ctx, e.Store, "json", strings.NewReader(`{"format": "smegraph/1", "countries": [{"_id": 5}]}`), false, &bytes.Buffer{})
	if !errors.As(err, &lines) {
		t.Errorf("broken JSON: %v", err)
	}
}

// TestImportMistakes keeps what a review found: a row whose agencyId belongs to another
// country, two rows changing one agency, an ambiguous name, and a byte order mark.
func TestImportMistakes(t *testing.T) {
	e := testenv.Seeded(t)
	ctx := context.Background()
	header := "country,countryName,agencyId,agencyName,acronym,kind,url\n"
	file := header +
		"PE,Peru,QWdlbmN5OkFHLUNP,Wrong country for id,,AGENCY,\n" + // Colombia's agency under Peru
		"CO,Colombia,QWdlbmN5OkFHLUNP,A,,MINISTRY,www.mincit.gov.co\n" +
		"CO,Colombia,QWdlbmN5OkFHLUNP,B,,MINISTRY,www.mincit.gov.co\n" +
		"JP,Japan,,New,,BANK,ftp://x\n" +
		"JP,Japan,,new,,OTHER,\n"
	err := transfer.Import(ctx, e.Store, "csv", strings.NewReader(file), false, &bytes.Buffer{})
	var lines transfer.Errors
	if !errors.As(err, &lines) {
		t.Fatalf("%v", err)
	}
	got := lines.Error()
	for _, want := range []string{"line 2: agency QWdlbmN5OkFHLUNP belongs to CO, not PE", "line 3: changes the same agency as line 2", "line 4: changes the same agency as line 2",
		`line 5: kind "BANK" is not one of MINISTRY, AGENCY, CHAMBER, OTHER; url "ftp://x" must be an http or https address`,
		"line 6: changes the same agency as line 5"} {
		if !strings.Contains(got, want) {
			t.Errorf("errors lack %q:\n%s", want, got)
		}
	}
	bom := "\ufeff" + header + "JP,Japan,,SME Agency,,AGENCY,https://www.chusho.meti.go.jp/\n"
	if err := transfer.Import(ctx, e.Store, "csv", strings.NewReader(bom), false, &bytes.Buffer{}); err != nil {
		t.Errorf("a byte order mark: %v", err)
	}
	// A record deleted and imported again is written anew (its old version locks are released).
	var created struct {
		Agencies struct {
			Nodes []struct {
				ID      string
				Version int
			}
		}
	}
	e.Query(`{ agencies(filter: {country: {eq: "JP"}}) { nodes { id version } } }`, nil).MustData(t, &created)
	jp := created.Agencies.Nodes[0]
	exported := export(t, e.Store, "json")
	admin := e.Token("center", "admin")
	if r := e.QueryAs(admin, `mutation($id: ID!, $v: Int!) { deleteAgency(input: {id: $id, expectedVersion: $v}) { deletedId } }`,
		map[string]any{"id": jp.ID, "v": jp.Version}); !strings.Contains(string(r.Body), jp.ID) {
		t.Fatalf("delete: %s", r.Body)
	}
	if err := transfer.Import(ctx, e.Store, "json", bytes.NewReader(exported), false, &bytes.Buffer{}); err != nil {
		t.Errorf("restoring a deleted agency from an export: %v", err)
	}
	dup := "Peru http://a.example\nPeru http://b.example\n"
	if err := transfer.Import(ctx, e.Store, "list", strings.NewReader(dup), false, &bytes.Buffer{}); !errors.As(err, &lines) || !strings.Contains(err.Error(), "line 2: Peru is on line 1 already") {
		t.Errorf("duplicate list lines: %v", err)
	}
}

// TestJSONImportIsChecked keeps what a review found: a JSON import wrote documents that broke
// public reads (unknown country), served a javascript: URL, made an unreachable agency (no
// _id), escaped an editor's scope (a membership whose _id names another country) and failed
// half-way (an _id twice). Each is now a bad line, and nothing is written.
func TestJSONImportIsChecked(t *testing.T) {
	e := testenv.Seeded(t)
	ctx := context.Background()
	file := `{"format": "smegraph/1",
"agencies": [
  {"_id":"AG-ZZ","country":"ZZ","names":[],"kind":"PWNED","url":"javascript:alert(1)","identificationBasis":"","sources":[]},
  {"country":"PE","names":[{"lang":"en","text":"No id"}],"kind":"OTHER","sources":[]},
  {"_id":"AG-X","country":"PE","names":[],"kind":"OTHER","sources":[]},
  {"_id":"AG-X","country":"PE","names":[],"kind":"OTHER","sources":[]}
],
"memberships": [
  {"_id":"apec/PE/2040-01-01","grouping":"apec","country":"JP","status":"MEMBER","since":"2040-01-01","sources":[]}
]
}`
	e.ResetCommands()
	err := transfer.Import(ctx, e.Store, "json", strings.NewReader(file), false, &bytes.Buffer{})
	var lines transfer.Errors
	if !errors.As(err, &lines) {
		t.Fatalf("%v", err)
	}
	got := lines.Error()
	for _, want := range []string{`line 3: agencies[0]: country "ZZ" is unknown`, `line 3: agencies[0]: kind "PWNED" is unknown`,
		`line 3: agencies[0]: url "javascript:alert(1)" is not a normalised`, "line 4: agencies[1]: has no _id",
		`line 6: agencies[3]: _id "AG-X" is in the file twice`, `line 9: memberships[0]: _id must be "apec/JP/2040-01-01"`} {
		if !strings.Contains(got, want) {
			t.Errorf("errors lack %q:\n%s", want, got)
		}
	}
	for _, c := range e.Commands() {
		if c != "find" {
			t.Errorf("a bad file wrote %q", c)
		}
	}
}
