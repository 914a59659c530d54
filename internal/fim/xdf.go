package fim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// ParseFile reads an XDatenfelder file.
func ParseFile(path string) (*Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f)
}

// Parse reads an XDatenfelder 2.0 or 3.0.0 message (Stammdatenschema 0102
// or Datenfeldgruppe 0103). XDatenfelder 1 and anything else is rejected
// with a *ParseError wrapping ErrUnsupportedFormat or ErrUnknownRoot.
func Parse(r io.Reader) (*Document, error) {
	root, err := readTree(r)
	if err != nil {
		return nil, err
	}
	doc := &Document{}
	switch {
	case strings.HasPrefix(root.space, NamespaceXDF1Prefix) || strings.HasPrefix(root.local, MessageSchema+"0") || root.local == "xdatenfelder.datenfeldgruppe.0102001":
		return nil, &ParseError{Line: root.line, Column: root.col, Err: ErrUnsupportedFormat,
			Msg: fmt.Sprintf("XDatenfelder 1 (%s) is not supported; %s", root.local, supportedFormatsText)}
	case root.space == NamespaceXDF2:
		doc.Format.Version = "2.0"
	case root.space == NamespaceXDF3:
		doc.Format.Version = "3.0.0"
	default:
		return nil, &ParseError{Line: root.line, Column: root.col, Err: ErrUnknownRoot,
			Msg: fmt.Sprintf("unknown document <%s xmlns=%q>; %s", root.local, root.space, supportedFormatsText)}
	}
	p := &parser{doc: doc}
	switch root.local {
	case MessageSchema:
		doc.Format.Message = MessageSchema
		n := root.child("stammdatenschema")
		if n == nil {
			return nil, &ParseError{Line: root.line, Column: root.col, Err: ErrUnknownRoot, Msg: "message has no stammdatenschema"}
		}
		doc.Root = p.element(n, KindSchema)
	case MessageGroup:
		doc.Format.Message = MessageGroup
		n := root.child("datenfeldgruppe")
		if n == nil {
			return nil, &ParseError{Line: root.line, Column: root.col, Err: ErrUnknownRoot, Msg: "message has no datenfeldgruppe"}
		}
		doc.Root = p.element(n, KindGroup)
	default:
		return nil, &ParseError{Line: root.line, Column: root.col, Err: ErrUnknownRoot,
			Msg: fmt.Sprintf("unknown message <%s> in XDatenfelder %s; %s", root.local, doc.Format.Version, supportedFormatsText)}
	}
	if h := root.child("header"); h != nil {
		doc.NachrichtID = h.str("nachrichtID")
		doc.Erstellungszeitpunkt = h.str("erstellungszeitpunkt")
	}
	if doc.Root.ID == "" {
		return nil, &ParseError{Line: root.line, Column: root.col, Err: ErrUnknownRoot, Msg: doc.Format.String() + " without an id"}
	}
	return doc, nil
}

type parser struct {
	doc *Document
}

func (p *parser) warn(n *node, format string, args ...any) {
	p.doc.Warnings = append(p.doc.Warnings, fmt.Sprintf("line %d: ", n.line)+fmt.Sprintf(format, args...))
}

func (p *parser) element(n *node, kind Kind) *Element {
	e := &Element{Kind: kind}
	id := n.child("identifikation")
	if id == nil { // tolerate the flat form
		id = n
	}
	e.ID, e.Version = id.str("id"), id.str("version")
	e.Name = n.str("name")
	e.BezeichnungEingabe = n.str("bezeichnungEingabe")
	e.BezeichnungAusgabe = n.str("bezeichnungAusgabe")
	e.HilfetextEingabe = n.str("hilfetextEingabe")
	e.HilfetextAusgabe = n.str("hilfetextAusgabe")
	e.Beschreibung = n.str("beschreibung")
	e.Definition = n.str("definition")
	e.Bezug = n.str("bezug")
	e.Versionshinweis = n.str("versionshinweis")
	e.Status = n.code("status")
	e.Freigabestatus = n.code("freigabestatus")
	e.StatusGesetztAm = n.str("statusGesetztAm")
	e.StatusGesetztDurch = n.str("statusGesetztDurch")
	e.FachlicherErsteller = n.str("fachlicherErsteller")
	e.Freigabedatum = n.str("freigabedatum")
	e.Veroeffentlichungsdatum = n.str("veroeffentlichungsdatum")
	e.LetzteAenderung = n.str("letzteAenderung")
	e.GueltigAb, e.GueltigBis = n.str("gueltigAb"), n.str("gueltigBis")
	e.Schemaelementart = n.code("schemaelementart").Code
	e.AbleitungStruktur = n.code("ableitungsmodifikationenStruktur").Code
	e.AbleitungRepraesentation = n.code("ableitungsmodifikationenRepraesentation").Code
	for _, s := range n.all("stichwort") {
		if t := clean(s.text); t != "" {
			e.Stichwoerter = append(e.Stichwoerter, t)
		}
	}
	for _, r := range n.all("regel") {
		e.Rules = append(e.Rules, p.rule(r))
	}
	if kind == KindField {
		p.field(n, e)
		return e
	}
	for _, s := range n.all("struktur") {
		card := p.cardinality(s)
		bezug := s.str("bezug")
		enth := s.child("enthaelt")
		if enth == nil {
			p.warn(s, "%s %s: struktur without enthaelt", e.ID, e.Version)
			continue
		}
		for _, k := range enth.kids {
			var ce *Element
			switch k.local {
			case "datenfeldgruppe":
				ce = p.element(k, KindGroup)
			case "datenfeld":
				ce = p.element(k, KindField)
			default:
				p.warn(k, "%s %s: unknown element <%s> in struktur ignored", e.ID, e.Version, k.local)
				continue
			}
			e.Children = append(e.Children, &Child{Cardinality: card, Bezug: bezug, Element: ce})
		}
	}
	return e
}

func (p *parser) cardinality(s *node) Cardinality {
	raw := s.str("anzahl")
	c, ok := ParseCardinality(raw)
	if !ok {
		p.warn(s, "anzahl %q is not min:max; read as 0:1", raw)
	}
	return c
}

// ParseCardinality reads "min:max" ("*" = unbounded). On failure it
// returns 0:1 and false.
func ParseCardinality(raw string) (Cardinality, bool) {
	bad := Cardinality{Min: 0, Max: 1, Raw: raw}
	lo, hi, ok := strings.Cut(strings.TrimSpace(raw), ":")
	if !ok {
		return bad, false
	}
	lo, hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
	minN, err := strconv.Atoi(lo)
	if err != nil || minN < 0 || minN > 1<<30 {
		return bad, false
	}
	c := Cardinality{Min: minN, Raw: raw}
	if hi == "*" {
		c.Max = Unbounded
		return c, true
	}
	maxN, err := strconv.Atoi(hi)
	if err != nil || maxN < 0 || maxN > 1<<30 || maxN < minN {
		return bad, false
	}
	c.Max = maxN
	return c, true
}

func (p *parser) rule(n *node) *Rule {
	r := &Rule{}
	id := n.child("identifikation")
	if id == nil {
		id = n
	}
	r.ID, r.Version = id.str("id"), id.str("version")
	r.Name = n.str("name")
	r.BezeichnungEingabe = n.str("bezeichnungEingabe")
	r.Beschreibung = n.str("beschreibung")
	r.Definition = n.str("definition")
	r.Freitext = n.str("freitextRegel")
	r.Bezug = n.str("bezug")
	r.Status = n.code("status")
	r.Freigabestatus = n.code("freigabestatus")
	r.Typ = n.code("typ").Code
	r.FachlicherErsteller = n.str("fachlicherErsteller")
	r.LetzteAenderung = n.str("letzteAenderung")
	r.Script = n.str("script")
	if r.Script == "" {
		r.Script = n.str("skript")
	}
	return r
}

func (p *parser) field(n *node, e *Element) {
	e.Feldart = n.code("feldart").Code
	e.Datentyp = n.code("datentyp").Code
	e.Vorbefuellung = n.code("vorbefuellung").Code
	for _, in := range n.all("inhalt") {
		if t := clean(in.text); t != "" {
			e.Inhalt = t
			break
		}
	}
	if pr := n.child("praezisierung"); pr != nil {
		e.Praezisierung = p.praezisierung(pr, e)
	}
	if ref := n.child("codelisteReferenz"); ref != nil {
		e.CodeList = codeListRef(ref)
	}
	if w := n.child("werte"); w != nil {
		for _, v := range w.all("wert") {
			e.Werte = append(e.Werte, Wert{Code: v.str("code"), Name: v.str("name"), Hilfe: v.str("hilfe")})
		}
	}
	e.CodeKey, e.NameKey, e.HelpKey = n.str("codeKey"), n.str("nameKey"), n.str("helpKey")
	e.MaxSize = n.str("maxSize")
	for _, m := range n.all("mediaType") {
		if t := clean(m.text); t != "" {
			e.MediaTypes = append(e.MediaTypes, t)
		}
	}
}

// codeListRef reads an XDF2 reference (identifikation + genericodeIdentification)
// or an XDF3 one (the genericode fields directly); nil when it names no list.
func codeListRef(n *node) *CodeListRef {
	r := &CodeListRef{ID: n.child("identifikation").str("id")}
	g := n.child("genericodeIdentification")
	if g == nil {
		g = n
	}
	r.CanonicalURI = g.str("canonicalIdentification")
	if r.CanonicalURI == "" {
		r.CanonicalURI = g.str("canonicalUri")
	}
	r.Version = g.str("version")
	r.CanonicalVersionURI = g.str("canonicalVersionUri")
	if r.CanonicalURI == "" && r.CanonicalVersionURI == "" {
		return nil
	}
	return r
}

func (p *parser) praezisierung(n *node, e *Element) Praezisierung {
	pr := Praezisierung{Raw: clean(n.text)}
	vals := map[string]string{}
	for _, a := range n.attrs {
		if a.Name.Space == "" || a.Name.Space == NamespaceXDF3 {
			vals[a.Name.Local] = a.Value
		}
	}
	if strings.HasPrefix(pr.Raw, "{") {
		var m map[string]json.RawMessage
		dec := json.NewDecoder(bytes.NewReader([]byte(pr.Raw)))
		if err := dec.Decode(&m); err != nil {
			p.warn(n, "%s: praezisierung is not valid JSON (%v); ignored", e.ID, err)
		}
		for k, raw := range m {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				vals[k] = s
				continue
			}
			var num json.Number
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			if d.Decode(&num) == nil {
				vals[k] = num.String()
				continue
			}
			if string(raw) != "null" {
				p.warn(n, "%s: praezisierung %s has unreadable value %s; ignored", e.ID, k, raw)
			}
		}
	}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := strings.TrimSpace(vals[k])
		switch k {
		case "minLength", "maxLength":
			if v == "" {
				continue
			}
			n64, err := strconv.Atoi(v)
			if err != nil || n64 < 0 {
				p.warn(n, "%s: praezisierung %s=%q is not a length; ignored", e.ID, k, v)
				continue
			}
			if k == "minLength" {
				pr.MinLength = &n64
			} else {
				pr.MaxLength = &n64
			}
		case "minValue":
			pr.MinValue = v
		case "maxValue":
			pr.MaxValue = v
		case "pattern":
			pr.Pattern = vals[k]
		default:
			if pr.Extra == nil {
				pr.Extra = map[string]string{}
			}
			pr.Extra[k] = vals[k]
		}
	}
	return pr
}
