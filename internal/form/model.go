package form

// The runtime model of a form: the FIM tree with the keys of the JSON
// Schema, code lists resolved to options, pages and machine-readable rules.
// A Model is immutable and shared by all requests for one form version.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ozgo/ozgo/internal/fim"
)

// Model is a form ready to be filled in.
type Model struct {
	ID, Version string
	Title       string
	Doc         *fim.Document
	Root        *Node
	Pages       []*PageDef
	// Schema is the JSON Schema computed with the same code lists as the
	// options; every submission is validated against it.
	Schema    *fim.Export
	validator *fim.Validator
	// Rules lists every rule of the form with what the runtime makes of it.
	Rules []RuleUse
	// Warnings are the export's warnings (code list fallbacks, degraded
	// fields); the admin view shows them.
	Warnings []string
	byPath   map[string]*Node
	hints    map[string][]RuleHint
}

// Node is one element of the form at one place in the tree. Its Path is the
// dotted chain of keys from the root ("G00000630.F00000013"); the index of
// a repetition is inserted into instance paths, not into Path.
type Node struct {
	Key     string // property key in the JSON instance
	Path    string
	Element *fim.Element
	Card    fim.Cardinality
	Parent  *Node
	// Children of a group.
	Children []*Node
	// Options of a select field (code list or werte); nil for free input.
	Options []Option
	// Codes are the allowed codes, for CheckField.
	Codes []string
	// Degraded is set when a select field lost its code list and takes text.
	Degraded bool
	// Rules on this element (conditions refer to its descendants).
	Rules []*Rule
	// Page is the index of the page this node is on.
	Page int
}

// Option is an entry of a select field.
type Option struct {
	Code, Label string
}

// IsGroup reports whether the node is a Datenfeldgruppe.
func (n *Node) IsGroup() bool { return n.Element.Kind != fim.KindField }

// Title is the label of the node.
func (n *Node) Title() string { return n.Element.Title() }

// IsData reports whether the node holds data in the instance (label fields
// do not).
func (n *Node) IsData() bool { return n.IsGroup() || n.Element.Feldart != "label" }

// IsFile reports whether the field takes an upload.
func (n *Node) IsFile() bool {
	return !n.IsGroup() && (n.Element.Datentyp == "file" || n.Element.Datentyp == "obj")
}

// OptionLabel returns the label of a code, or the code itself.
func (n *Node) OptionLabel(code string) string {
	for _, o := range n.Options {
		if o.Code == code {
			return o.Label
		}
	}
	return code
}

// PageDef is one page of the form: a top-level group, or a run of
// top-level fields between groups.
type PageDef struct {
	Index int
	// Title is the group's title; "" for a run of loose fields (the page
	// then gets a generic title).
	Title string
	Nodes []*Node
}

// Node returns the node at a path (without repetition indexes).
func (m *Model) Node(path string) *Node { return m.byPath[path] }

// NewModel builds the runtime model of a document with the code lists at
// hand.
func NewModel(doc *fim.Document, cls *fim.CodeListStore) (*Model, error) {
	if doc == nil || doc.Root == nil {
		return nil, fmt.Errorf("form: no document")
	}
	exp, err := fim.JSONSchema(doc, cls)
	if err != nil {
		return nil, err
	}
	v, err := exp.Compile()
	if err != nil {
		return nil, fmt.Errorf("form: compile schema: %w", err)
	}
	m := &Model{
		ID: doc.Root.ID, Version: doc.Root.Version, Title: doc.Root.Title(), Doc: doc,
		Schema: exp, validator: v, byPath: map[string]*Node{},
		Warnings: append(append([]string{}, doc.Warnings...), exp.Warnings...),
	}
	lists := map[string]fim.ResolvedUse{}
	for _, u := range exp.CodeLists {
		lists[u.Ref.Key()] = u
	}
	m.Root = &Node{Element: doc.Root, Card: fim.Cardinality{Min: 1, Max: 1}}
	m.build(m.Root, lists)
	m.paginate()
	m.Rules = m.bindRules()
	return m, nil
}

// build creates the children of n with the same keys as the JSON Schema
// export (a repeated id gets "_2", "_3", …).
func (m *Model) build(n *Node, lists map[string]fim.ResolvedUse) {
	seen := map[string]bool{}
	for _, c := range n.Element.Children {
		e := c.Element
		key := e.ID
		if key == "" {
			continue // the export leaves it out too, with a warning
		}
		if e.Kind == fim.KindField && e.Feldart == "label" {
			// Not data: no key in the instance; keep it for display.
			key = "label:" + e.ID + ":" + strconv.Itoa(len(n.Children))
		} else if seen[key] {
			for i := 2; ; i++ {
				if k := fmt.Sprintf("%s_%d", e.ID, i); !seen[k] {
					key = k
					break
				}
			}
		}
		seen[key] = true
		ch := &Node{Key: key, Element: e, Card: c.Cardinality, Parent: n}
		if n.Path == "" {
			ch.Path = key
		} else {
			ch.Path = n.Path + "." + key
		}
		m.byPath[ch.Path] = ch
		if e.Kind == fim.KindField {
			m.options(ch, lists)
		} else {
			m.build(ch, lists)
		}
		n.Children = append(n.Children, ch)
	}
}

func (m *Model) options(n *Node, lists map[string]fim.ResolvedUse) {
	e := n.Element
	switch {
	case e.CodeList != nil:
		u, ok := lists[e.CodeList.Key()]
		if !ok || u.List == nil || len(u.List.Entries) == 0 {
			n.Degraded = true
			return
		}
		for _, en := range u.List.Entries {
			label := en.Name
			if label == "" {
				label = en.Code
			}
			n.Options = append(n.Options, Option{Code: en.Code, Label: label})
		}
	case len(e.Werte) > 0:
		for _, w := range e.Werte {
			label := w.Name
			if label == "" {
				label = w.Code
			}
			n.Options = append(n.Options, Option{Code: w.Code, Label: label})
		}
	case e.Feldart == "select":
		n.Degraded = true
		return
	default:
		return
	}
	n.Codes = make([]string, len(n.Options))
	for i, o := range n.Options {
		n.Codes[i] = o.Code
	}
}

// paginate puts every top-level group on a page of its own and collects
// runs of top-level fields on shared pages.
func (m *Model) paginate() {
	var run *PageDef
	for _, c := range m.Root.Children {
		if c.IsGroup() {
			run = nil
			m.Pages = append(m.Pages, &PageDef{Index: len(m.Pages), Title: c.Title(), Nodes: []*Node{c}})
			continue
		}
		if run == nil {
			run = &PageDef{Index: len(m.Pages)}
			m.Pages = append(m.Pages, run)
		}
		run.Nodes = append(run.Nodes, c)
	}
	for _, p := range m.Pages {
		for _, n := range p.Nodes {
			setPage(n, p.Index)
		}
	}
}

func setPage(n *Node, page int) {
	n.Page = page
	for _, c := range n.Children {
		setPage(c, page)
	}
}

// Walk calls fn for every node below n, depth first.
func (n *Node) Walk(fn func(*Node)) {
	for _, c := range n.Children {
		fn(c)
		c.Walk(fn)
	}
}

// splitPath splits an instance path into its segments.
func splitPath(p string) []string {
	if p == "" {
		return nil
	}
	return strings.Split(p, ".")
}

// ModelPath removes the repetition indexes from an instance path:
// "G1.G2.0.F3" → "G1.G2.F3".
func ModelPath(instPath string) string {
	segs := splitPath(instPath)
	out := segs[:0:0]
	for _, s := range segs {
		if isIndex(s) {
			continue
		}
		out = append(out, s)
	}
	return strings.Join(out, ".")
}

func isIndex(s string) bool {
	if s == "" || len(s) > 4 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
