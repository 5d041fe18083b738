package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/fealac/smegraph/graph/model"
	"github.com/fealac/smegraph/internal/readmodel"
	"github.com/fealac/smegraph/internal/store"
)

// The fast path answers the common read queries (the dashboard's nested lists, connections
// and lookups) by walking the validated operation over the snapshot and writing the JSON
// answer directly, without gqlgen's per-field machinery (a field context, argument map,
// field set and marshaler per field: about 20 allocations a field). It uses the same
// snapshot methods and the same pickText as the resolvers, so each rule keeps one home; the
// walk only replaces the plumbing.
//
// It answers only what it knows answers without an error: a field it does not handle, an
// argument it does not take (filters), a value that would be an error (a bad lang, asOf,
// first or cursor) or a null in a non-null field makes it give up, and gqlgen runs the
// operation as usual. Tests run every query through both and compare (see Verify).

// FastSchema is the executable schema with the fast path in front of gqlgen's executor.
type FastSchema struct {
	graphql.ExecutableSchema
	r *Resolver
	// Verify, when set, runs every query the fast path answers through gqlgen too and calls
	// Verify with both answers (tests compare them; see SameJSON).
	Verify func(query string, fast, gqlgen []byte)
}

// NewFastSchema returns es with the fast path of r in front.
func NewFastSchema(es graphql.ExecutableSchema, r *Resolver) *FastSchema {
	return &FastSchema{ExecutableSchema: es, r: r}
}

// Exec answers a query operation through the fast path when it can, else through gqlgen.
func (f *FastSchema) Exec(ctx context.Context) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return f.ExecutableSchema.Exec(ctx)
	}
	data, ok := f.r.fast(ctx, oc)
	if !ok {
		return f.ExecutableSchema.Exec(ctx)
	}
	if f.Verify != nil {
		slow := f.ExecutableSchema.Exec(ctx)(ctx)
		gq := []byte(slow.Data)
		if len(slow.Errors) > 0 {
			gq = []byte("errors: " + slow.Errors.Error())
		}
		f.Verify(oc.RawQuery, data, gq)
	}
	return graphql.OneShot(&graphql.Response{Data: data})
}

// SameJSON reports whether a and b are the same JSON document, key order included.
func SameJSON(a, b []byte) bool {
	var ca, cb bytes.Buffer
	return json.Compact(&ca, a) == nil && json.Compact(&cb, b) == nil && bytes.Equal(ca.Bytes(), cb.Bytes())
}

// buffers recycles the fast path's output buffers.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// walker is one run of the fast path.
type walker struct {
	ctx context.Context
	oc  *graphql.OperationContext
	s   *readmodel.Snapshot
	b   *bytes.Buffer
	ok  bool
}

// fast answers the query of oc from the snapshot; ok is false when it cannot.
func (r *Resolver) fast(ctx context.Context, oc *graphql.OperationContext) (json.RawMessage, bool) {
	s, err := r.Model.For(ctx)
	if err != nil {
		return nil, false
	}
	b := buffers.Get().(*bytes.Buffer)
	b.Reset()
	defer buffers.Put(b)
	w := &walker{ctx: ctx, oc: oc, s: s, b: b, ok: true}
	w.object(oc.Operation.SelectionSet, "Query", func(f graphql.CollectedField) { w.query(f) })
	if !w.ok {
		return nil, false
	}
	return append(json.RawMessage(nil), b.Bytes()...), true
}

// fail gives up the fast path.
func (w *walker) fail() { w.ok = false }

// object writes the fields of sel on an object of type typ, each with field.
func (w *walker) object(sel ast.SelectionSet, typ string, field func(graphql.CollectedField)) {
	w.b.WriteByte('{')
	for i, f := range graphql.CollectFields(w.oc, sel, []string{typ}) {
		if !w.ok {
			return
		}
		if i > 0 {
			w.b.WriteByte(',')
		}
		w.str(f.Alias)
		w.b.WriteByte(':')
		if f.Name == "__typename" {
			w.str(typ)
			continue
		}
		field(f)
	}
	w.b.WriteByte('}')
}

// list writes xs with each.
func list_[T any](w *walker, xs []*T, each func(*T)) {
	w.b.WriteByte('[')
	for i, x := range xs {
		if i > 0 {
			w.b.WriteByte(',')
		}
		each(x)
	}
	w.b.WriteByte(']')
}

// str writes s as a JSON string, as gqlgen does.
func (w *walker) str(s string) {
	graphql.MarshalString(s).MarshalGQL(w.b)
}

// optStr writes s or null.
func (w *walker) optStr(s *string) {
	if s == nil {
		w.b.WriteString("null")
		return
	}
	w.str(*s)
}

// date_ writes a Date or null.
func (w *walker) date_(d *string) {
	if d == nil {
		w.b.WriteString("null")
		return
	}
	model.MarshalDate(*d).MarshalGQL(w.b)
}

// int writes n.
func (w *walker) int(n int) { w.b.WriteString(strconv.Itoa(n)) }

// bool writes v.
func (w *walker) bool(v bool) { w.b.WriteString(strconv.FormatBool(v)) }

// args returns the field's arguments with variables substituted.
func (w *walker) args(f graphql.CollectedField) map[string]any {
	return f.ArgumentMap(w.oc.Variables)
}

// only fails unless the field's given arguments are among names.
func (w *walker) only(f graphql.CollectedField, names ...string) map[string]any {
	args := w.args(f)
	for k := range args {
		found := false
		for _, n := range names {
			found = found || n == k
		}
		if !found {
			w.fail()
		}
	}
	return args
}

// optString returns the string argument name, nil when absent or null.
func (w *walker) optString(args map[string]any, name string) *string {
	v, ok := args[name]
	if !ok || v == nil {
		return nil
	}
	s, ok := v.(string)
	if !ok {
		w.fail()
		return nil
	}
	return &s
}

// optInt returns the Int argument name, as the Int scalar reads it; nil when absent.
func (w *walker) optInt(args map[string]any, name string) *int {
	v, ok := args[name]
	if !ok || v == nil {
		return nil
	}
	n, err := model.UnmarshalInt(v)
	if err != nil {
		w.fail()
		return nil
	}
	return &n
}

// date returns the asOf argument as the Date scalar reads it, or today.
func (w *walker) date(args map[string]any) string {
	v, ok := args["asOf"]
	if !ok || v == nil {
		return readmodel.Day(nil)
	}
	d, err := model.UnmarshalDate(v)
	if err != nil {
		w.fail()
	}
	return d
}

// text writes the text of texts in the language asked for (lang or Accept-Language), as the
// name and title resolvers do; required fails on a missing text.
func (w *walker) text(f graphql.CollectedField, texts []store.LocalizedText, required bool) {
	s, err := pickText(w.ctx, texts, w.optString(w.only(f, "lang"), "lang"))
	switch {
	case err != nil || (s == nil && required):
		w.fail()
	default:
		w.optStr(s)
	}
}

// page reads the pagination arguments of a connection field.
func (w *walker) page(args map[string]any) store.PageArgs {
	p, err := store.NewPageArgs(w.optInt(args, "first"), w.optString(args, "after"), w.optInt(args, "last"), w.optString(args, "before"))
	if err != nil {
		w.fail()
	}
	return p
}

// query writes a root field.
func (w *walker) query(f graphql.CollectedField) {
	switch f.Name {
	case "groupings":
		p := w.page(w.only(f, "first", "after", "last", "before"))
		if !w.ok {
			return
		}
		pg, err := w.s.GroupingPage(nil, p)
		connection(w, f, pg, err, "Grouping", w.grouping)
	case "countries":
		p := w.page(w.only(f, "first", "after", "last", "before"))
		if !w.ok {
			return
		}
		pg, err := w.s.CountryPage(nil, nil, p)
		connection(w, f, pg, err, "Country", w.country)
	case "agencies":
		args := w.only(f, "first", "after", "last", "before", "orderBy")
		order := w.agencyOrder(args)
		p := w.page(args)
		if !w.ok {
			return
		}
		pg, err := w.s.AgencyPage(nil, order, p)
		connection(w, f, pg, err, "Agency", w.agency)
	case "country":
		code := w.optString(w.only(f, "code"), "code")
		if code == nil {
			w.fail()
			return
		}
		nullable(w, w.s.Country(*code), func(c *store.Country) { w.country(f.Selections, c) })
	case "grouping":
		slug := w.optString(w.only(f, "slug"), "slug")
		if slug == nil {
			w.fail()
			return
		}
		nullable(w, w.s.Grouping(store.SlugValue(*slug)), func(g *store.Grouping) { w.grouping(f.Selections, g) })
	default:
		w.fail()
	}
}

// agencyOrder reads the orderBy argument of the agencies connection.
func (w *walker) agencyOrder(args map[string]any) []*store.AgencyOrder {
	v, ok := args["orderBy"]
	if !ok || v == nil {
		return nil
	}
	keys, ok := v.([]any)
	if !ok {
		if m, isMap := v.(map[string]any); isMap { // a single value for a list
			keys = []any{m}
		} else {
			w.fail()
			return nil
		}
	}
	var out []*store.AgencyOrder
	for _, k := range keys {
		m, ok := k.(map[string]any)
		field, okField := m["field"].(string)
		if !ok || !okField {
			w.fail()
			return nil
		}
		o := &store.AgencyOrder{Field: store.AgencyOrderField(field)}
		if d, given := m["direction"]; given && d != nil {
			dir, ok := d.(string)
			if !ok || (dir != string(store.Asc) && dir != string(store.Desc)) {
				w.fail()
				return nil
			}
			o.Direction = store.SortDirection(dir)
		}
		for name := range m {
			if name != "field" && name != "direction" {
				w.fail()
			}
		}
		out = append(out, o)
	}
	return out
}

// connection writes a connection field of nodes of type typ.
func connection[T any](w *walker, f graphql.CollectedField, pg *store.Page[T], err error, typ string, node func(ast.SelectionSet, *T)) {
	if err != nil {
		w.fail()
		return
	}
	w.object(f.Selections, typ+"Connection", func(c graphql.CollectedField) {
		switch c.Name {
		case "totalCount":
			n, err := pg.TotalCount(w.ctx)
			if err != nil {
				w.fail()
			}
			w.int(n)
		case "nodes":
			list_(w, pg.Items, func(x *T) { node(c.Selections, x) })
		case "edges":
			w.b.WriteByte('[')
			for i, x := range pg.Items {
				if i > 0 {
					w.b.WriteByte(',')
				}
				w.object(c.Selections, typ+"Edge", func(e graphql.CollectedField) {
					switch e.Name {
					case "cursor":
						w.str(pg.Cursors[i])
					case "node":
						node(e.Selections, x)
					default:
						w.fail()
					}
				})
			}
			w.b.WriteByte(']')
		case "pageInfo":
			w.object(c.Selections, "PageInfo", func(p graphql.CollectedField) {
				n := len(pg.Cursors)
				switch p.Name {
				case "hasNextPage":
					w.bool(pg.HasNext)
				case "hasPreviousPage":
					w.bool(pg.HasPrevious)
				case "startCursor":
					if n == 0 {
						w.b.WriteString("null")
					} else {
						w.str(pg.Cursors[0])
					}
				case "endCursor":
					if n == 0 {
						w.b.WriteString("null")
					} else {
						w.str(pg.Cursors[n-1])
					}
				default:
					w.fail()
				}
			})
		default:
			w.fail()
		}
	})
}

// nullable writes v with write, or null.
func nullable[T any](w *walker, v *T, write func(*T)) {
	if v == nil {
		w.b.WriteString("null")
		return
	}
	write(v)
}

// required writes v with write; a missing node fails (gqlgen would answer an error).
func required[T any](w *walker, v *T, write func(*T)) {
	if v == nil {
		w.fail()
		return
	}
	write(v)
}

// country writes a Country.
func (w *walker) country(sel ast.SelectionSet, c *store.Country) {
	w.object(sel, "Country", func(f graphql.CollectedField) {
		switch f.Name {
		case "id":
			w.str(c.ID())
		case "code":
			w.str(c.Code)
		case "alpha3":
			w.str(c.Alpha3)
		case "numeric":
			w.str(c.Numeric)
		case "name":
			w.text(f, c.Names, true)
		case "isoName":
			w.str(c.NameISO)
		case "interconnectivityListEntry":
			w.str(c.ListEntry)
		case "region":
			required(w, w.s.Grouping(c.Region), func(g *store.Grouping) { w.grouping(f.Selections, g) })
		case "groupings":
			date := w.date(w.only(f, "asOf"))
			list_(w, w.s.GroupingsOf(c.Code, date), func(g *store.Grouping) { w.grouping(f.Selections, g) })
		case "agencies":
			list_(w, w.s.AgenciesOf(c.Code), func(a *store.Agency) { w.agency(f.Selections, a) })
		case "hostedMeetings":
			list_(w, w.s.MeetingsHostedBy(c.Code), func(m *store.Meeting) { w.meeting(f.Selections, m) })
		default:
			w.fail()
		}
	})
}

// agency writes an Agency.
func (w *walker) agency(sel ast.SelectionSet, a *store.Agency) {
	w.object(sel, "Agency", func(f graphql.CollectedField) {
		switch f.Name {
		case "id":
			w.str(a.ID())
		case "name":
			w.text(f, a.Names, false)
		case "acronym":
			w.optStr(a.Acronym)
		case "kind":
			w.str(string(a.Kind))
		case "url":
			w.optStr(a.URL)
		case "country":
			required(w, w.s.CountryByCode(a.Country), func(c *store.Country) { w.country(f.Selections, c) })
		case "updatedAt":
			model.MarshalDateTime(a.UpdatedAt).MarshalGQL(w.b)
		default:
			w.fail()
		}
	})
}

// grouping writes a Grouping.
func (w *walker) grouping(sel ast.SelectionSet, g *store.Grouping) {
	w.object(sel, "Grouping", func(f graphql.CollectedField) {
		switch f.Name {
		case "id":
			w.str(g.ID())
		case "slug":
			w.str(g.Slug)
		case "name":
			w.text(f, g.Names, true)
		case "acronym":
			w.optStr(g.Acronym)
		case "kind":
			w.str(string(g.Kind))
		case "parent":
			if g.Parent == nil {
				w.b.WriteString("null")
				return
			}
			required(w, w.s.Grouping(*g.Parent), func(p *store.Grouping) { w.grouping(f.Selections, p) })
		case "children":
			list_(w, w.s.ChildrenOf(g.Slug), func(c *store.Grouping) { w.grouping(f.Selections, c) })
		case "members":
			date := w.date(w.only(f, "asOf"))
			list_(w, w.s.MembersOf(g.Slug, date), func(c *store.Country) { w.country(f.Selections, c) })
		case "memberCount":
			w.int(len(w.s.MembersOf(g.Slug, w.date(w.only(f, "asOf")))))
		case "decisions":
			list_(w, w.s.DecisionsOfGrouping(g.Slug), func(d *store.Decision) { w.decision(f.Selections, d) })
		default:
			w.fail()
		}
	})
}

// meeting writes a Meeting.
func (w *walker) meeting(sel ast.SelectionSet, m *store.Meeting) {
	w.object(sel, "Meeting", func(f graphql.CollectedField) {
		switch f.Name {
		case "id":
			w.str(m.ID())
		case "kind":
			w.str(string(m.Kind))
		case "number":
			w.int(m.Number)
		case "title":
			w.str(m.Title)
		case "city":
			w.str(m.City)
		case "year":
			w.int(m.Year)
		case "startDate":
			w.date_(m.StartDate)
		case "endDate":
			w.date_(m.EndDate)
		case "host":
			required(w, w.s.CountryByCode(m.Host), func(c *store.Country) { w.country(f.Selections, c) })
		case "coChairs":
			list_(w, w.s.Countries(m.CoChairs), func(c *store.Country) { w.country(f.Selections, c) })
		case "decisions":
			list_(w, w.s.DecisionsOfMeeting(m.Key), func(d *store.Decision) { w.decision(f.Selections, d) })
		default:
			w.fail()
		}
	})
}

// decision writes a Decision.
func (w *walker) decision(sel ast.SelectionSet, d *store.Decision) {
	w.object(sel, "Decision", func(f graphql.CollectedField) {
		switch f.Name {
		case "id":
			w.str(d.ID())
		case "title":
			w.text(f, d.Titles, true)
		case "kind":
			w.str(string(d.Kind))
		case "summary":
			w.optStr(d.Summary)
		case "meeting":
			required(w, w.s.Meeting(d.Meeting), func(m *store.Meeting) { w.meeting(f.Selections, m) })
		case "groupings":
			list_(w, w.s.Groupings(d.Groupings), func(g *store.Grouping) { w.grouping(f.Selections, g) })
		case "countries":
			list_(w, w.s.Countries(d.Countries), func(c *store.Country) { w.country(f.Selections, c) })
		default:
			w.fail()
		}
	})
}
