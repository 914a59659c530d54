package web

// What a form page shows: the view tree built from the model, the state
// and the evaluation, rendered by the "fnode" template.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/fim"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/i18n"
	"github.com/ozgo/ozgo/internal/onlinedienst"
)

// maxRadios is the longest code list shown as radio buttons; longer ones
// get a select.
const maxRadios = 8

// viewNode is one element of a form page.
type viewNode struct {
	Kind string // "field", "group", "repeat", "label"
	// Field and group.
	ID, Name  string
	Label     string
	Hint      string
	Hints     []string // rule hints
	Optional  bool
	Error     string
	Control   string // text, textarea, radio, select, bool, file, locked
	InputType string
	Inputmode string
	Autocomp  string
	MaxLength int
	Width     string // CSS modifier for short inputs
	Value     string
	Options   []viewOption
	File      *form.File
	FileSize  string
	Accept    string
	FileHint  string
	Ignored   bool // a rule says the answer does not count now
	// Group.
	Children []*viewNode
	// Repeat.
	Items     []*viewNode
	AddValue  string
	CanAdd    bool
	Remove    string // on an item: the button value that removes it
	ItemLabel string
	Level     int
}

type viewOption struct {
	ID, Value, Label string
	Checked          bool
}

type formPageData struct {
	Service   *onlinedienst.Service
	Heading   string
	Step      int
	Steps     int
	Nodes     []*viewNode
	Errors    []fieldError
	Multipart bool
	Action    string
	FromCheck bool
	Guidance  []string
}

func (u *UI) pageTitle(m *form.Model, i int, p *form.PageDef) string {
	if p.Title != "" {
		return p.Title
	}
	return u.t("antrag.page.further")
}

// renderFormPage shows page of the draft. extra are errors not in the
// evaluation (refused uploads). Errors are shown only after the person
// saved the page once (or when there are extra errors).
func (u *UI) renderFormPage(w http.ResponseWriter, r *http.Request, status int, svc *onlinedienst.Service, m *form.Model, dr *form.Draft, page int, extra map[string]error, fromCheck bool) {
	res := m.Evaluate(dr.State)
	showErrors := status != http.StatusOK || fromCheck && dr.State.Seen[page]
	b := &viewBuilder{u: u, m: m, s: dr.State, res: res, errors: showErrors, extra: extra}
	d := formPageData{
		Service: svc, Heading: u.pageTitle(m, page, m.Pages[page]), Step: page + 1, Steps: len(m.Pages) + 1,
		Action: pageURL(svc.Slug, page), FromCheck: fromCheck,
	}
	p := m.Pages[page]
	if len(p.Nodes) == 1 && p.Nodes[0].IsGroup() && !p.Nodes[0].Card.Multiple() {
		g := p.Nodes[0]
		d.Nodes = b.children(g, g.Key, 2)
		d.Guidance = b.guidance(g)
	} else {
		for _, n := range p.Nodes {
			d.Nodes = append(d.Nodes, b.child(n, "", 2)...)
		}
		d.Guidance = b.guidance(m.Root)
	}
	d.Errors = b.summary
	d.Multipart = b.files
	u.Render(w, r, status, "antrag_seite", Page{Title: d.Heading, IsError: len(d.Errors) > 0, Section: "onlinedienste", Data: d})
}

type viewBuilder struct {
	u       *UI
	m       *form.Model
	s       *form.State
	res     *form.Result
	errors  bool
	extra   map[string]error
	summary []fieldError
	files   bool
}

func (b *viewBuilder) t(key string, args ...any) string { return b.u.t(key, args...) }

// guidance lists rules of a group the runtime does not enforce.
func (b *viewBuilder) guidance(n *form.Node) []string {
	var out []string
	for _, ru := range b.m.Rules {
		if ru.Owner == n.Path && !ru.Enforced {
			if t := ru.Rule.Source.Definition; t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// children builds the views of a group occurrence's children.
func (b *viewBuilder) children(g *form.Node, ipath string, level int) []*viewNode {
	var out []*viewNode
	for _, c := range g.Children {
		out = append(out, b.child(c, ipath, level)...)
	}
	return out
}

// child builds the view of child c below the group occurrence at base.
func (b *viewBuilder) child(c *form.Node, base string, level int) []*viewNode {
	p := base + "." + c.Key
	if base == "" {
		p = c.Key
	}
	if !c.IsData() {
		return []*viewNode{{Kind: "label", Label: c.Title(), Hint: c.Element.Inhalt}}
	}
	if c.Element.Feldart == "hidden" {
		return nil
	}
	if !c.Card.Multiple() {
		return []*viewNode{b.occurrence(c, p, level, c.Card.Min == 0)}
	}
	rep := &viewNode{Kind: "repeat", ID: fieldID(p), Label: c.Title(), Hint: c.Element.HilfetextEingabe, Level: level}
	count := b.s.Count(c, p)
	for i := 0; i < count; i++ {
		ip := p + "." + strconv.Itoa(i)
		item := b.occurrence(c, ip, level+1, i >= c.Card.Min)
		item.ItemLabel = b.t("antrag.repeat.item", c.Title(), i+1)
		item.Label = item.ItemLabel
		if count > c.Card.Min {
			item.Remove = "entfernen:" + ip
		}
		rep.Items = append(rep.Items, item)
	}
	rep.CanAdd = c.Card.Max == fim.Unbounded || count < c.Card.Max
	rep.AddValue = "hinzufuegen:" + p
	if c.Card.Max != fim.Unbounded {
		rep.Hint = strings.TrimSpace(rep.Hint + " " + b.t("antrag.repeat.limits", c.Card.Min, c.Card.Max))
	}
	return []*viewNode{rep}
}

func (b *viewBuilder) occurrence(n *form.Node, ipath string, level int, optional bool) *viewNode {
	if n.IsGroup() {
		v := &viewNode{Kind: "group", ID: fieldID(ipath), Label: n.Title(), Hint: n.Element.HilfetextEingabe, Optional: optional && !b.res.Required[ipath], Level: min(level, 4)}
		if optional {
			v.Hints = append(v.Hints, b.t("antrag.group.optional"))
		}
		v.Hints = append(v.Hints, b.ruleHints(n)...)
		v.Hints = append(v.Hints, b.guidance(n)...)
		b.fieldError(v, n, ipath)
		v.Children = b.children(n, ipath, level+1)
		return v
	}
	return b.field(n, ipath, optional)
}

func (b *viewBuilder) fieldError(v *viewNode, n *form.Node, ipath string) {
	msg := ""
	if err, ok := b.extra[ipath]; ok {
		key, args := errsMessage(err)
		msg = b.u.cat.Resolve(i18n.Default, key, args)
	} else if b.errors {
		if e := b.res.ErrorAt(ipath); e != nil {
			msg = b.u.cat.Resolve(i18n.Default, e.Message, e.Args)
		}
	}
	if msg == "" {
		return
	}
	v.Error = msg
	target := v.ID
	if len(v.Options) > 0 && (v.Control == "radio" || v.Control == "bool") {
		target = v.Options[0].ID
	}
	b.summary = append(b.summary, fieldError{Field: target, Message: labelled(n.Title(), msg)})
}

func (b *viewBuilder) field(n *form.Node, ipath string, optional bool) *viewNode {
	e := n.Element
	v := &viewNode{Kind: "field", ID: fieldID(ipath), Name: ipath, Label: n.Title(), Hint: e.HilfetextEingabe,
		Optional: optional && !b.res.Required[ipath], Value: b.s.Values[ipath], Ignored: b.res.Ignored[ipath]}
	v.Hints = b.ruleHints(n)
	p := e.Praezisierung
	if p.MaxLength != nil {
		v.MaxLength = *p.MaxLength
	}
	switch {
	case e.Feldart == "locked":
		v.Control, v.Value = "locked", e.Inhalt
	case n.IsFile():
		v.Control = "file"
		b.files = true
		if f, ok := b.s.Files[ipath]; ok {
			v.File = &f
			v.FileSize = onlinedienst.HumanSize(f.Size)
		}
		limit, types := b.u.Antraege.Limits(n)
		v.Accept = strings.Join(types, ",")
		v.FileHint = b.t("antrag.file.limits", onlinedienst.TypeNames(types), onlinedienst.HumanSize(limit))
	case len(n.Options) > 0 && len(n.Options) <= maxRadios:
		v.Control = "radio"
		for i, o := range n.Options {
			v.Options = append(v.Options, viewOption{ID: v.ID + "-" + strconv.Itoa(i), Value: o.Code, Label: o.Label, Checked: v.Value == o.Code})
		}
	case len(n.Options) > 0:
		v.Control = "select"
		for _, o := range n.Options {
			v.Options = append(v.Options, viewOption{Value: o.Code, Label: o.Label, Checked: v.Value == o.Code})
		}
	case e.Datentyp == "bool":
		v.Control = "bool"
		val := ""
		if bv, err := form.ParseBool(v.Value); err == nil {
			val = strconv.FormatBool(bv)
		}
		v.Options = []viewOption{
			{ID: v.ID + "-ja", Value: "true", Label: b.t("antrag.bool.yes"), Checked: val == "true"},
			{ID: v.ID + "-nein", Value: "false", Label: b.t("antrag.bool.no"), Checked: val == "false"},
		}
	default:
		v.Control = "text"
		v.InputType = "text"
		switch e.Datentyp {
		case "num_int":
			v.Inputmode, v.Width = "numeric", "short"
		case "num":
			v.Inputmode, v.Width = "decimal", "short"
			v.Hints = append(v.Hints, b.t("antrag.hint.number"))
		case "num_currency":
			v.Inputmode, v.Width = "decimal", "short"
			v.Hints = append(v.Hints, b.t("antrag.hint.currency"))
		case "date":
			v.Width = "short"
			v.Hints = append(v.Hints, b.t("antrag.hint.date"))
		case "time":
			v.Width = "short"
			v.Hints = append(v.Hints, b.t("antrag.hint.time"))
		case "datetime":
			v.Hints = append(v.Hints, b.t("antrag.hint.datetime"))
		}
		if v.MaxLength > 0 && v.MaxLength <= 12 {
			v.Width = "short"
		}
		if v.MaxLength >= 2000 {
			v.Control = "textarea"
		}
		if v.Value == "" && e.Inhalt != "" {
			if _, seen := b.s.Values[ipath]; !seen {
				v.Value = e.Inhalt
			}
		}
		v.Autocomp = autocomplete(n)
		if v.Autocomp == "email" {
			v.InputType = "email"
		} else if v.Autocomp == "tel" {
			v.InputType = "tel"
		}
		if n.Degraded {
			v.Hints = append(v.Hints, b.t("antrag.hint.degraded"))
		}
	}
	b.fieldError(v, n, ipath)
	return v
}

// ruleHints explains the enforced rules that act on a node.
func (b *viewBuilder) ruleHints(n *form.Node) []string {
	var out []string
	for _, h := range b.m.RuleHints(n.Path) {
		switch {
		case h.Kind == form.RuleOnlyIf:
			out = append(out, b.t("antrag.rule.only_if", h.FieldTitle))
		case h.Value == "" && !h.Negate:
			out = append(out, b.t("antrag.rule.required_if_empty", h.FieldTitle))
		case h.Value == "":
			out = append(out, b.t("antrag.rule.required_if_filled", h.FieldTitle))
		case h.Negate:
			out = append(out, b.t("antrag.rule.required_if_not", h.FieldTitle, h.ValueLabel))
		default:
			out = append(out, b.t("antrag.rule.required_if", h.FieldTitle, h.ValueLabel))
		}
	}
	return out
}

// autocomplete names the input purpose (WCAG 1.3.5) of common personal
// fields by their FIM label.
func autocomplete(n *form.Node) string {
	switch strings.ToLower(n.Title()) {
	case "familienname", "nachname":
		return "family-name"
	case "vorname", "vornamen":
		return "given-name"
	case "postleitzahl":
		return "postal-code"
	case "ort":
		return "address-level2"
	case "straße":
		return "address-line1"
	case "e-mail-adresse", "e-mail":
		return "email"
	case "telefonnummer", "telefon":
		return "tel"
	case "titel":
		return "honorific-prefix"
	}
	return ""
}

// answerRow is one line of a summary of answers.
type answerRow struct {
	Heading bool
	Level   int
	Label   string
	Value   string
	Change  string
}

// answerRows lists the answers of one page from an instance.
func (u *UI) answerRows(m *form.Model, data map[string]any, page int, slug string, change bool) []answerRow {
	var rows []answerRow
	var walk func(n *form.Node, v any, ipath string, level int, label string)
	walk = func(n *form.Node, v any, ipath string, level int, label string) {
		if n.IsGroup() {
			obj, _ := v.(map[string]any)
			rows = append(rows, answerRow{Heading: true, Level: level, Label: label})
			for _, c := range n.Children {
				if cv, ok := obj[c.Key]; ok {
					child(c, cv, ipath, level+1, walk)
				}
			}
			return
		}
		row := answerRow{Level: level, Label: label, Value: u.formatAnswer(n, v)}
		if change {
			row.Change = pageURL(slug, page) + "?pruefen=1#" + fieldID(ipath)
		}
		rows = append(rows, row)
	}
	for _, n := range m.Pages[page].Nodes {
		v, ok := data[n.Key]
		if !ok {
			continue
		}
		if len(m.Pages[page].Nodes) == 1 && n.IsGroup() && !n.Card.Multiple() {
			obj, _ := v.(map[string]any)
			for _, c := range n.Children {
				if cv, ok := obj[c.Key]; ok {
					child(c, cv, n.Key, 3, walk)
				}
			}
			continue
		}
		child(n, v, "", 3, walk)
	}
	return rows
}

func child(c *form.Node, v any, base string, level int, walk func(*form.Node, any, string, int, string)) {
	p := c.Key
	if base != "" {
		p = base + "." + c.Key
	}
	if !c.Card.Multiple() {
		walk(c, v, p, level, c.Title())
		return
	}
	items, _ := v.([]any)
	for i, it := range items {
		label := c.Title()
		if len(items) > 1 {
			label += " " + strconv.Itoa(i+1)
		}
		walk(c, it, p+"."+strconv.Itoa(i), level, label)
	}
}

// formatAnswer shows a value the German way.
func (u *UI) formatAnswer(n *form.Node, v any) string {
	e := n.Element
	switch x := v.(type) {
	case bool:
		if x {
			return u.t("antrag.bool.yes")
		}
		return u.t("antrag.bool.no")
	case json.Number:
		s := form.FormatNumber(x.String())
		if e.Datentyp == "num_currency" {
			if !strings.Contains(s, ",") {
				s += ",00"
			} else if i := strings.IndexByte(s, ','); len(s)-i == 2 {
				s += "0"
			}
			return s + " €"
		}
		return s
	case map[string]any:
		name, _ := x["filename"].(string)
		var size int64
		switch sv := x["size"].(type) {
		case json.Number:
			size, _ = sv.Int64()
		case int64:
			size = sv
		}
		return name + " (" + onlinedienst.HumanSize(size) + ")"
	case string:
		if len(n.Options) > 0 {
			return n.OptionLabel(x)
		}
		switch e.Datentyp {
		case "date":
			return form.FormatDate(x)
		case "time":
			return strings.TrimSuffix(x, ":00") + " Uhr"
		case "datetime":
			if t, err := time.Parse(time.RFC3339, x); err == nil {
				return t.In(form.Berlin).Format("02.01.2006, 15:04") + " Uhr"
			}
		}
		return x
	}
	return ""
}

// decodeInstance reads a stored instance with numbers kept exact.
func decodeInstance(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

func errsMessage(err error) (string, []any) { return errs.MessageArgsOf(err) }

// labelled prefixes a message with the field's label unless it names it.
func labelled(label, msg string) string {
	if strings.Contains(msg, "„"+label+"“") {
		return msg
	}
	return label + ": " + msg
}
