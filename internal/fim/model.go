// Package fim reads FIM XDatenfelder form descriptions (Stammdatenschema and
// Datenfeldgruppe messages in XDatenfelder 2.0 and 3.0.0) and genericode
// code lists into one format-independent model, resolves code lists and
// exports the form as a JSON Schema (draft 2020-12) following the
// FIT-Connect conventions.
package fim

import "fmt"

// Namespaces of the supported formats.
const (
	NamespaceXDF2        = "urn:xoev-de:fim:standard:xdatenfelder_2"
	NamespaceXDF3        = "urn:xoev-de:fim:standard:xdatenfelder_3.0.0"
	NamespaceXDF1Prefix  = "urn:xoev-de:fim:standard:xdatenfelder_1"
	NamespaceGenericode  = "http://docs.oasis-open.org/codelist/ns/genericode/1.0/"
	MessageSchema        = "xdatenfelder.stammdatenschema.0102"
	MessageGroup         = "xdatenfelder.datenfeldgruppe.0103"
	supportedFormatsText = "supported are XDatenfelder 2.0 and 3.0.0 (Stammdatenschema 0102, Datenfeldgruppe 0103)"
)

// MaxInputSize bounds every XML document the package reads.
const MaxInputSize = 64 << 20

// Kind is the kind of an element of the form tree.
type Kind int

// Element kinds.
const (
	KindSchema Kind = iota // Stammdatenschema (S…)
	KindGroup              // Datenfeldgruppe (G…)
	KindField              // Datenfeld (F…)
)

func (k Kind) String() string {
	switch k {
	case KindSchema:
		return "Stammdatenschema"
	case KindGroup:
		return "Datenfeldgruppe"
	case KindField:
		return "Datenfeld"
	}
	return "unknown"
}

// Format says which XDatenfelder version and message a document is.
type Format struct {
	Version string // "2.0" or "3.0.0"
	Message string // MessageSchema or MessageGroup
}

func (f Format) String() string {
	m := "Stammdatenschema"
	if f.Message == MessageGroup {
		m = "Datenfeldgruppe"
	}
	return fmt.Sprintf("XDatenfelder %s, %s", f.Version, m)
}

// Document is one parsed XDatenfelder message.
type Document struct {
	Format               Format
	NachrichtID          string
	Erstellungszeitpunkt string
	// Root is the Stammdatenschema or, for a Datenfeldgruppe message, the group.
	Root *Element
	// Warnings lists what was read but could not be understood fully
	// (an unreadable praezisierung, a malformed anzahl, …).
	Warnings []string
}

// Code is a value of a code list given inline (status, feldart, …).
type Code struct {
	Code          string
	ListURI       string
	ListVersionID string
}

// Cardinality is an anzahl "min:max"; Max is Unbounded for "*".
type Cardinality struct {
	Min, Max int
	Raw      string
}

// Unbounded is the Max of a cardinality "n:*".
const Unbounded = -1

// Multiple reports whether more than one occurrence is allowed.
func (c Cardinality) Multiple() bool { return c.Max == Unbounded || c.Max > 1 }

func (c Cardinality) String() string {
	if c.Max == Unbounded {
		return fmt.Sprintf("%d:*", c.Min)
	}
	return fmt.Sprintf("%d:%d", c.Min, c.Max)
}

// Praezisierung holds the constraints of a field. XDF2 carries them as a
// JSON string, XDF3 as attributes; both end up here. Numbers stay strings
// as written.
type Praezisierung struct {
	MinLength, MaxLength *int
	MinValue, MaxValue   string
	Pattern              string
	// Extra keeps any other key or attribute (e.g. totalDigits).
	Extra map[string]string
	// Raw is the text as found (XDF2 JSON or XDF3 element text).
	Raw string
}

// IsZero reports whether no constraint is set.
func (p Praezisierung) IsZero() bool {
	return p.MinLength == nil && p.MaxLength == nil && p.MinValue == "" && p.MaxValue == "" && p.Pattern == "" && len(p.Extra) == 0
}

// CodeListRef is a field's reference to a genericode code list.
type CodeListRef struct {
	ID                  string // C… (XDF2)
	CanonicalURI        string
	Version             string
	CanonicalVersionURI string
}

// Key is the canonical version URI, built from URI and version when the
// reference does not name it.
func (r CodeListRef) Key() string {
	if r.CanonicalVersionURI != "" {
		return r.CanonicalVersionURI
	}
	if r.CanonicalURI != "" && r.Version != "" {
		return r.CanonicalURI + "_" + r.Version
	}
	return r.CanonicalURI
}

// Wert is an entry of an XDF3 value list (werte).
type Wert struct {
	Code, Name, Hilfe string
}

// Rule is a Regel.
type Rule struct {
	ID, Version         string
	Name                string
	BezeichnungEingabe  string
	Beschreibung        string
	Definition          string
	Freitext            string // XDF3 freitextRegel
	Bezug               string
	Status              Code
	Freigabestatus      Code
	Typ                 string // XDF3 typ
	FachlicherErsteller string
	LetzteAenderung     string
	Script              string // XDF2 script, XDF3 skript
}

// Element is a Stammdatenschema, Datenfeldgruppe or Datenfeld.
type Element struct {
	Kind                    Kind
	ID, Version             string
	Name                    string
	BezeichnungEingabe      string
	BezeichnungAusgabe      string
	HilfetextEingabe        string
	HilfetextAusgabe        string
	Beschreibung            string
	Definition              string
	Bezug                   string
	Versionshinweis         string
	Status                  Code // XDF2
	Freigabestatus          Code // XDF3
	StatusGesetztAm         string
	StatusGesetztDurch      string
	FachlicherErsteller     string
	Freigabedatum           string
	Veroeffentlichungsdatum string
	LetzteAenderung         string
	GueltigAb, GueltigBis   string
	Schemaelementart        string
	Stichwoerter            []string
	// Ableitungsmodifikationen of a Stammdatenschema.
	AbleitungStruktur, AbleitungRepraesentation string
	Rules                                       []*Rule

	// Children of schemas and groups, in document order.
	Children []*Child

	// Field properties.
	Feldart       string // input, select, label, hidden, locked
	Datentyp      string // text, text_latin, date, time, datetime, bool, num, num_int, num_currency, file, obj
	Praezisierung Praezisierung
	Inhalt        string
	Vorbefuellung string
	Werte         []Wert
	CodeList      *CodeListRef
	CodeKey       string
	NameKey       string
	HelpKey       string
	MaxSize       string
	MediaTypes    []string
}

// Child is one entry of a struktur: an element with its cardinality.
type Child struct {
	Cardinality Cardinality
	Bezug       string
	Element     *Element
}

// Title is the label shown to a person filling in the form.
func (e *Element) Title() string {
	if e.BezeichnungEingabe != "" {
		return e.BezeichnungEingabe
	}
	return e.Name
}

// Walk calls fn for every element below e (depth first, document order)
// with the child entry that holds it.
func (e *Element) Walk(fn func(c *Child)) {
	for _, c := range e.Children {
		fn(c)
		c.Element.Walk(fn)
	}
}

// Stats counts the elements of a document.
type Stats struct {
	Groups, Fields, Rules                         int // occurrences in the tree
	DistinctGroups, DistinctFields, DistinctRules int
}

// Stats counts groups, fields and rules. A Datenfeldgruppe message counts
// its root group too.
func (d *Document) Stats() Stats {
	var s Stats
	groups, fields := map[string]bool{}, map[string]bool{}
	rules := map[string]bool{}
	count := func(e *Element) {
		switch e.Kind {
		case KindGroup:
			s.Groups++
			groups[e.ID] = true
		case KindField:
			s.Fields++
			fields[e.ID] = true
		}
		for _, r := range e.Rules {
			s.Rules++
			rules[r.ID+" "+r.Version] = true
		}
	}
	count(d.Root)
	d.Root.Walk(func(c *Child) { count(c.Element) })
	s.DistinctGroups, s.DistinctFields, s.DistinctRules = len(groups), len(fields), len(rules)
	return s
}

// Rules lists every rule once (by id and version) in document order.
func (d *Document) Rules() []*Rule {
	var out []*Rule
	seen := map[string]bool{}
	add := func(e *Element) {
		for _, r := range e.Rules {
			if k := r.ID + " " + r.Version; !seen[k] {
				seen[k] = true
				out = append(out, r)
			}
		}
	}
	add(d.Root)
	d.Root.Walk(func(c *Child) { add(c.Element) })
	return out
}

// CodeListRefs lists every referenced code list once (by Key) in document
// order, with the ids of the fields that use it.
func (d *Document) CodeListRefs() []CodeListUse {
	var out []CodeListUse
	idx := map[string]int{}
	d.Root.Walk(func(c *Child) {
		e := c.Element
		if e.CodeList == nil {
			return
		}
		k := e.CodeList.Key()
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, CodeListUse{Ref: *e.CodeList})
		}
		for _, f := range out[i].Fields {
			if f == e.ID {
				return
			}
		}
		out[i].Fields = append(out[i].Fields, e.ID)
	})
	return out
}

// CodeListUse is a code list reference and the fields that carry it.
type CodeListUse struct {
	Ref    CodeListRef
	Fields []string
}
