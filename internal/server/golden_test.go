package server_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/fealac/smegraph/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// dashboardQuery is the nested query a dashboard sends: groupings → members → agencies,
// groupings, hosted meetings → decisions → meeting.
const dashboardQuery = `{ groupings(first: 100) { nodes { slug members { name agencies { name country { name } } groupings { name } hostedMeetings { decisions { title meeting { city } } } } } } }`

// TestGolden checks whole responses for one query per entity and the dashboard query against
// files in testdata/ (rewrite them with go test ./internal/server -run TestGolden -update).
func TestGolden(t *testing.T) {
	cases := map[string]string{
		"country": `{ country(code: "per") { id code alpha3 numeric name nameEs: name(lang: "es-419") names { lang text }
			interconnectivityListEntry region { slug name } groupings { slug kind }
			memberships { grouping { slug } status since until }
			agencies { name acronym kind url updatedAt } hostedMeetings { number } sources { title url } } }`,
		"agency": `{ agencies(first: 1) { nodes { id name names { lang text } acronym kind url country { code }
			sources { title url } updatedAt } } }`,
		"grouping": `{ grouping(slug: "mercosur") { id slug name namePt: name(lang: "pt-BR") acronym kind parent { slug } children { slug }
			members { code } memberCount before: memberCount(asOf: "2024-07-04")
			memberships { country { code } status since until sources { title } }
			externalMembers { code } decisions { title } sources { url } }
			fealac: grouping(slug: "fealac") { kind memberCount children { slug kind memberCount } }
			asean: grouping(slug: "asean") { memberCount members { code } externalMembers { code name since } }
			wg: grouping(slug: "wg-es") { name kind parent { slug } decisions { title meeting { number city year } } } }`,
		"meeting": `{ meetings(first: 100) { totalCount nodes { id kind number title city year startDate endDate host { code name }
			coChairs { code } decisions { title kind topics countries { code } } } } }`,
		"decision": `{ decisions(first: 100) { totalCount nodes { id title kind topics summary meeting { number city }
			groupings { slug } countries { code } sources { title url } } } }`,
		"dashboard": dashboardQuery,
	}
	e := testenv.Seeded(t)
	for name, query := range cases {
		t.Run(name, func(t *testing.T) {
			r := e.Query(query, nil)
			if len(r.Errors) > 0 {
				t.Fatalf("errors: %s", r.Body)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, r.Body, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			path := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("response differs from %s:\n%s", path, pretty.Bytes())
			}
		})
	}
}
