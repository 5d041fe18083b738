// Package transfer exports smegraph's data and imports it back.
//
// Formats:
//   - json: the whole graph, one document per line inside a JSON object keyed by collection
//     (relaxed MongoDB Extended JSON, without the fields the store derives).
//   - csv: the interconnectivity list, one row per agency (a country without one has a row
//     with empty agency columns): country,countryName,agencyId,agencyName,acronym,kind,url.
//   - list: the SME center brief's own lines, "<country name> <address or NA>", in its order.
//
// An import reads and checks the whole file first; if any line is bad it reports every bad
// line with its number and writes nothing. Applying is idempotent (what is equal is not
// written) and audited as made by the command line ("cli"). Export, import, export gives the
// same bytes.
package transfer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/fealac/smegraph/internal/gid"
	"github.com/fealac/smegraph/internal/store"
)

// Formats lists the formats, by name.
var Formats = []string{"json", "csv", "list"}

// FormatOf returns the format named by a file's extension (".json", ".csv", ".txt" or
// ".list"), or "".
func FormatOf(path string) string {
	switch {
	case strings.HasSuffix(path, ".json"):
		return "json"
	case strings.HasSuffix(path, ".csv"):
		return "csv"
	case strings.HasSuffix(path, ".txt"), strings.HasSuffix(path, ".list"):
		return "list"
	}
	return ""
}

// csvHeader is the first row of the csv format.
var csvHeader = []string{"country", "countryName", "agencyId", "agencyName", "acronym", "kind", "url"}

// Export writes the store's data in format to w.
func Export(ctx context.Context, s *store.Store, format string, w io.Writer) error {
	ds, err := s.ReadAll(ctx)
	if err != nil {
		return err
	}
	switch format {
	case "json":
		return exportJSON(ds, w)
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write(csvHeader)
		for _, c := range ds.Countries {
			ags := agenciesOf(ds, c.Code)
			if len(ags) == 0 {
				_ = cw.Write([]string{c.Code, c.Names[0].Text, "", "", "", "", ""})
			}
			for _, a := range ags {
				_ = cw.Write([]string{c.Code, c.Names[0].Text, a.ID(), cell(text(englishName(a))), cell(text(a.Acronym)), string(a.Kind), cell(text(a.URL))})
			}
		}
		cw.Flush()
		return cw.Error()
	case "list":
		for _, c := range ds.Countries {
			if _, err := fmt.Fprintf(w, "%s %s\n", c.Names[0].Text, listEntry(c, agenciesOf(ds, c.Code))); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown format %q (one of %s)", format, strings.Join(Formats, ", "))
}

// cell guards a CSV cell against spreadsheet formulas: a value starting with = + - @ or a
// tab gets a leading apostrophe, which spreadsheets hide and uncell removes on import.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r'", rune(s[0])) {
		return "'" + s
	}
	return s
}

// uncell undoes cell.
func uncell(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r'", rune(s[1])) {
		return s[1:]
	}
	return s
}

// listEntry is a country's entry on the list: its first agency's address, written as the brief
// wrote it while it still means the same address, or NA.
func listEntry(c *store.Country, ags []*store.Agency) string {
	for _, a := range ags {
		if a.URL == nil {
			continue
		}
		if norm, err := store.NormaliseURL(c.ListEntry); err == nil && norm == *a.URL {
			return c.ListEntry
		}
		return *a.URL
	}
	return "NA"
}

func exportJSON(ds *store.Dataset, w io.Writer) error {
	var b bytes.Buffer
	b.WriteString("{\"format\": \"smegraph/1\"")
	for _, part := range []struct {
		name string
		docs []any
	}{
		{"countries", anys(ds.Countries)}, {"groupings", anys(ds.Groupings)}, {"meetings", anys(ds.Meetings)},
		{"agencies", anys(ds.Agencies)}, {"memberships", anys(ds.Memberships)}, {"decisions", anys(ds.Decisions)},
	} {
		fmt.Fprintf(&b, ",\n%q: [", part.name)
		for i, d := range part.docs {
			raw, err := bson.Marshal(d)
			if err != nil {
				return err
			}
			doc, err := store.WithoutDerived(part.name, raw)
			if err != nil {
				return err
			}
			line, err := bson.MarshalExtJSON(doc, false, false)
			if err != nil {
				return err
			}
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n  ")
			b.Write(line)
		}
		b.WriteString("\n]")
	}
	b.WriteString("\n}\n")
	_, err := w.Write(b.Bytes())
	return err
}

func anys[T any](xs []*T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func agenciesOf(ds *store.Dataset, code string) []*store.Agency {
	var out []*store.Agency
	for _, a := range ds.Agencies {
		if a.Country == code {
			out = append(out, a)
		}
	}
	return out
}

func englishName(a *store.Agency) *string {
	for i := range a.Names {
		if a.Names[i].Lang == "en" {
			return &a.Names[i].Text
		}
	}
	return nil
}

func text(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// LineError is a bad line of an import file.
type LineError struct {
	Line    int
	Message string
}

// Errors are every bad line of an import file; nothing was written.
type Errors []LineError

func (e Errors) Error() string {
	var b strings.Builder
	for _, l := range e {
		fmt.Fprintf(&b, "line %d: %s\n", l.Line, l.Message)
	}
	return strings.TrimRight(b.String(), "\n")
}

// step is one planned change of an import: the agency as it will be stored.
type step struct {
	desc   string
	agency *store.Agency
}

// planner turns an import file into steps, or Errors.
type planner struct {
	s   *store.Store
	ds  *store.Dataset // what is stored
	now time.Time      // when the import runs
}

// Import reads r in format, checks it whole, and applies it (or, with dryRun, prints what it
// would change) to s, writing a line per change to out. A bad file returns Errors and writes
// nothing. The csv and list formats are written in one audited batch; an agency changed
// meanwhile by someone else is left as they made it, and reported (store.ErrConflict).
func Import(ctx context.Context, s *store.Store, format string, r io.Reader, dryRun bool, out io.Writer) error {
	if format == "json" {
		return importJSON(ctx, s, r, dryRun, out)
	}
	ds, err := s.ReadAll(ctx)
	if err != nil {
		return err
	}
	p := &planner{s: s, ds: ds, now: time.Now()}
	var steps []step
	switch format {
	case "csv":
		steps, err = p.csv(ctx, r)
	case "list":
		steps, err = p.list(ctx, r)
	default:
		return fmt.Errorf("unknown format %q (one of %s)", format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return err
	}
	agencies := make([]*store.Agency, len(steps))
	for i, st := range steps {
		fmt.Fprintln(out, st.desc)
		agencies[i] = st.agency
	}
	if len(steps) == 0 {
		fmt.Fprintln(out, "nothing to change")
	}
	if dryRun || len(steps) == 0 {
		return nil
	}
	_, err = s.ApplyWith(ctx, &store.Dataset{Agencies: agencies}, p.now, store.ApplyOptions{Actor: store.CLIActor, CheckVersions: true})
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w; the rest is imported: import the file again to apply it to them", err)
	}
	return err
}

// countryIndex finds countries by alpha-2 code or by their English (brief's) name.
func countryIndex(ds *store.Dataset) (byCode, byName map[string]*store.Country) {
	byCode, byName = map[string]*store.Country{}, map[string]*store.Country{}
	for _, c := range ds.Countries {
		byCode[c.Code] = c
		byName[c.Names[0].Text] = c
	}
	return byCode, byName
}

func (p *planner) csv(ctx context.Context, r io.Reader) ([]step, error) {
	// Spreadsheets save UTF-8 with a byte order mark; it is not part of the header.
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\ufeff" {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = len(csvHeader)
	touched := map[string]int{} // agency key → the line that changes it
	byCode, _ := countryIndex(p.ds)
	agencies := map[string]*store.Agency{}
	byCountry := map[string][]*store.Agency{}
	for _, a := range p.ds.Agencies {
		agencies[a.ID()] = a
		byCountry[a.Country] = append(byCountry[a.Country], a)
	}
	var bad Errors
	var steps []step
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			bad = append(bad, LineError{line, "not a CSV row of 7 columns"})
			continue
		}
		if line == 1 {
			if !slices.Equal(rec, csvHeader) {
				bad = append(bad, LineError{line, "the header must be " + strings.Join(csvHeader, ",")})
			}
			continue
		}
		code, _, id, name, acronym, kind, url := rec[0], rec[1], rec[2], uncell(rec[3]), uncell(rec[4]), rec[5], uncell(rec[6])
		c, ok := byCode[strings.ToUpper(strings.TrimSpace(code))]
		if !ok {
			bad = append(bad, LineError{line, fmt.Sprintf("unknown country %q", code)})
			continue
		}
		if id == "" && name == "" && url == "" && acronym == "" {
			continue // a country without an agency
		}
		edit, msgs := agencyEdit(name, acronym, kind, url)
		edit.Country = &c.Code
		old := agencies[id]
		switch {
		case id != "" && old == nil:
			msgs = append(msgs, fmt.Sprintf("unknown agency %q", id))
		case old != nil && old.Country != c.Code:
			msgs = append(msgs, fmt.Sprintf("agency %s belongs to %s, not %s (move agencies with updateAgency)", id, old.Country, c.Code))
		case id == "":
			named := agenciesNamed(byCountry[c.Code], name)
			if len(named) > 1 {
				msgs = append(msgs, fmt.Sprintf("%s has %d agencies named %q; give the agencyId", c.Code, len(named), name))
			} else if len(named) == 1 {
				old = named[0]
			}
		}
		target := "new " + c.Code + "/" + strings.ToLower(strings.TrimSpace(name))
		if old != nil {
			target = old.Key
		}
		if first, ok := touched[target]; ok {
			msgs = append(msgs, fmt.Sprintf("changes the same agency as line %d", first))
		} else {
			touched[target] = line
		}
		if len(msgs) > 0 {
			bad = append(bad, LineError{line, strings.Join(msgs, "; ")})
			continue
		}
		st, err := p.agencyStep(ctx, old, edit, c)
		if err != nil {
			bad = append(bad, LineError{line, err.Error()})
			continue
		}
		steps = append(steps, st...)
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return steps, nil
}

func (p *planner) list(ctx context.Context, r io.Reader) ([]step, error) {
	_, byName := countryIndex(p.ds)
	var bad Errors
	var steps []step
	seen := map[string]int{} // country → its line
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		l := strings.TrimSpace(sc.Text())
		if l == "" {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		if i < 0 {
			bad = append(bad, LineError{line, "expected \"<country name> <address or NA>\""})
			continue
		}
		name, entry := strings.TrimSpace(l[:i]), l[i+1:]
		c, ok := byName[strings.TrimPrefix(name, "\ufeff")]
		if !ok {
			bad = append(bad, LineError{line, fmt.Sprintf("unknown country name %q (the brief's names: Korea, Lao PDR, ...)", name)})
			continue
		}
		if first, dup := seen[c.Code]; dup {
			bad = append(bad, LineError{line, fmt.Sprintf("%s is on line %d already", name, first)})
			continue
		}
		seen[c.Code] = line
		if entry == "NA" {
			continue
		}
		norm, err := store.NormaliseURL(entry)
		if err != nil {
			bad = append(bad, LineError{line, fmt.Sprintf("%q %s", entry, err)})
			continue
		}
		ags := agenciesOf(p.ds, c.Code)
		if len(ags) > 0 && ags[0].URL != nil && *ags[0].URL == norm {
			continue
		}
		edit := store.AgencyEdit{Country: &c.Code, URL: &norm, Given: map[string]bool{"url": true}, Nameless: true}
		var old *store.Agency
		if len(ags) > 0 {
			old = ags[0]
		}
		st, err := p.agencyStep(ctx, old, edit, c)
		if err != nil {
			bad = append(bad, LineError{line, err.Error()})
			continue
		}
		steps = append(steps, st...)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return steps, nil
}

// agencyEdit checks a row's agency fields and returns the edit and every problem.
func agencyEdit(name, acronym, kind, url string) (store.AgencyEdit, []string) {
	var msgs []string
	e := store.AgencyEdit{Given: map[string]bool{"name": true, "acronym": true, "kind": true, "url": true}, Nameless: true}
	if name = strings.TrimSpace(name); name != "" {
		e.Name = &name
	}
	if acronym = strings.TrimSpace(acronym); acronym != "" {
		e.Acronym = &acronym
	}
	k := store.AgencyKind(strings.ToUpper(strings.TrimSpace(kind)))
	switch k {
	case store.AgencyMinistry, store.AgencyAgency, store.AgencyChamber, store.AgencyOther:
		e.Kind = &k
	default:
		msgs = append(msgs, fmt.Sprintf("kind %q is not one of MINISTRY, AGENCY, CHAMBER, OTHER", kind))
	}
	if strings.TrimSpace(url) != "" {
		norm, err := store.NormaliseURL(url)
		if err != nil {
			msgs = append(msgs, fmt.Sprintf("url %q %s", url, err))
		} else {
			e.URL = &norm
		}
	}
	return e, msgs
}

// agenciesNamed returns the agencies among ags with this English name.
func agenciesNamed(ags []*store.Agency, name string) []*store.Agency {
	var out []*store.Agency
	for _, a := range ags {
		if n := englishName(a); n != nil && strings.EqualFold(*n, strings.TrimSpace(name)) {
			out = append(out, a)
		}
	}
	return out
}

// agencyStep plans creating an agency or updating old with e; nothing when old already
// holds what e sets. A bad edit is an error for its line.
func (p *planner) agencyStep(ctx context.Context, old *store.Agency, e store.AgencyEdit, c *store.Country) ([]step, error) {
	if old != nil {
		same := (!e.Given["url"] || eq(old.URL, e.URL)) && (!e.Given["acronym"] || eq(old.Acronym, e.Acronym)) &&
			(!e.Given["kind"] || e.Kind == nil || old.Kind == *e.Kind) && (!e.Given["name"] || eq(englishName(old), e.Name))
		if same {
			return nil, nil
		}
	}
	ag, err := p.s.AgencyAfter(ctx, old, e, c, p.now)
	var problems store.Problems
	switch {
	case errors.As(err, &problems):
		msgs := make([]string, len(problems))
		for i, x := range problems {
			msgs[i] = x.Field + " " + x.Message
		}
		return nil, errors.New(strings.Join(msgs, "; "))
	case err != nil:
		return nil, err
	case ag == nil:
		return nil, nil
	case old == nil:
		return []step{{desc: fmt.Sprintf("create an agency of %s (%s)", c.Code, text(e.URL)), agency: ag}}, nil
	}
	return []step{{desc: fmt.Sprintf("update agency %s of %s", gidKey(old), c.Code), agency: ag}}, nil
}

func eq(a, b *string) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }

func gidKey(a *store.Agency) string {
	_, key, _ := gid.Decode(a.ID())
	return key
}

func importJSON(ctx context.Context, s *store.Store, r io.Reader, dryRun bool, out io.Writer) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	var file struct {
		Format      string     `bson:"format"`
		Countries   []bson.Raw `bson:"countries"`
		Groupings   []bson.Raw `bson:"groupings"`
		Meetings    []bson.Raw `bson:"meetings"`
		Agencies    []bson.Raw `bson:"agencies"`
		Memberships []bson.Raw `bson:"memberships"`
		Decisions   []bson.Raw `bson:"decisions"`
	}
	if err := bson.UnmarshalExtJSON(body, false, &file); err != nil {
		return Errors{{Line: 1, Message: "not a smegraph JSON export: " + strings.SplitN(err.Error(), "\n", 2)[0]}}
	}
	if file.Format != "smegraph/1" {
		return Errors{{Line: 1, Message: "format must be \"smegraph/1\""}}
	}
	var ds store.Dataset
	var bad Errors
	decode := func(part string, raws []bson.Raw, into func(bson.Raw) error) {
		for i, raw := range raws {
			if err := into(raw); err != nil {
				bad = append(bad, LineError{lineOf(body, part, i), fmt.Sprintf("%s[%d]: %v", part, i, err)})
			}
		}
	}
	decode("countries", file.Countries, func(r bson.Raw) error { return add(r, &ds.Countries) })
	decode("groupings", file.Groupings, func(r bson.Raw) error { return add(r, &ds.Groupings) })
	decode("meetings", file.Meetings, func(r bson.Raw) error { return add(r, &ds.Meetings) })
	decode("agencies", file.Agencies, func(r bson.Raw) error { return add(r, &ds.Agencies) })
	decode("memberships", file.Memberships, func(r bson.Raw) error { return add(r, &ds.Memberships) })
	decode("decisions", file.Decisions, func(r bson.Raw) error { return add(r, &ds.Decisions) })
	if len(bad) > 0 {
		return bad
	}
	stored, err := s.ReadAll(ctx)
	if err != nil {
		return err
	}
	for _, p := range store.CheckDataset(&ds, stored) {
		var part string
		var i int
		if _, err := fmt.Sscanf(strings.Replace(p.Field, "[", " ", 1), "%s %d]", &part, &i); err != nil {
			part, i = p.Field, 0
		}
		bad = append(bad, LineError{lineOf(body, part, i), fmt.Sprintf("%s: %s", p.Field, p.Message)})
	}
	if len(bad) > 0 {
		return bad
	}
	results, err := s.ApplyWith(ctx, &ds, time.Now(), store.ApplyOptions{Actor: store.CLIActor, DryRun: dryRun})
	for _, res := range results {
		for _, c := range res.Changed {
			fmt.Fprintf(out, "%s %s\n", c, res.Collection)
		}
	}
	if err == nil && slices.IndexFunc(results, func(r store.ApplyResult) bool { return len(r.Changed) > 0 }) < 0 {
		fmt.Fprintln(out, "nothing to change")
	}
	return err
}

// add decodes one document and appends it.
func add[T any](raw bson.Raw, to *[]*T) error {
	var d T
	if err := bson.Unmarshal(raw, &d); err != nil {
		return errors.New("is not a document of this collection (a field has the wrong type)")
	}
	*to = append(*to, &d)
	return nil
}

// lineOf returns the line of the i-th document of part in a JSON export (one per line).
func lineOf(body []byte, part string, i int) int {
	start := bytes.Index(body, []byte(fmt.Sprintf("%q: [", part)))
	if start < 0 {
		return 1
	}
	return bytes.Count(body[:start], []byte("\n")) + 2 + i
}
