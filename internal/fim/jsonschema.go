package fim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// JSON Schema conventions (FIT-Connect).
const (
	SchemaDialect = "https://json-schema.org/draft/2020-12/schema"
	SchemaIDBase  = "https://schema.fitko.de/fim/"
)

// Export is the JSON Schema of a document and what happened on the way.
type Export struct {
	ID     string
	JSON   []byte // indented, with a final newline
	Schema *Object
	// CodeLists says how every referenced list was resolved, in document order.
	CodeLists []ResolvedUse
	// Warnings: fallbacks, degraded fields, constraints left out.
	Warnings []string
}

// ResolvedUse is a resolved reference and the fields that use it.
type ResolvedUse struct {
	Resolved
	Fields []string
}

// SchemaID is the FIT-Connect $id of a schema or group: the id with a
// lower-case first letter and the version,
// https://schema.fitko.de/fim/s00000094_1.0.schema.json.
func SchemaID(id, version string) string {
	if id != "" {
		id = strings.ToLower(id[:1]) + id[1:]
	}
	return SchemaIDBase + url.PathEscape(id+"_"+version) + ".schema.json"
}

// JSONSchema exports the document as a JSON Schema (draft 2020-12).
// Property keys are FIM ids without version; groups are objects without
// additional properties; anything with a maximum above one is an array;
// a minimum of one or more makes the property required. Label fields are
// not data and are left out. store may be nil (every list is missing).
func JSONSchema(doc *Document, store *CodeListStore) (*Export, error) {
	if doc == nil || doc.Root == nil {
		return nil, fmt.Errorf("no document")
	}
	x := &exporter{store: store, resolved: map[string]int{}}
	for _, u := range doc.CodeListRefs() {
		x.resolved[u.Ref.Key()] = len(x.out.CodeLists)
		r := store.Resolve(u.Ref)
		x.out.CodeLists = append(x.out.CodeLists, ResolvedUse{Resolved: r, Fields: u.Fields})
		if r.Warning != "" {
			x.warn("%s (used by %s)", r.Warning, strings.Join(u.Fields, ", "))
		}
	}
	root := doc.Root
	x.out.ID = SchemaID(root.ID, root.Version)
	s := NewObject()
	s.Set("$schema", SchemaDialect)
	s.Set("$id", x.out.ID)
	s.Set("title", root.Title())
	if d := describe(root); d != "" {
		s.Set("description", d)
	}
	x.container(s, root)
	x.out.Schema = s
	b, err := marshalIndent(s)
	if err != nil {
		return nil, err
	}
	x.out.JSON = b
	return &x.out, nil
}

type exporter struct {
	store    *CodeListStore
	resolved map[string]int
	out      Export
}

func (x *exporter) warn(format string, args ...any) {
	x.out.Warnings = append(x.out.Warnings, fmt.Sprintf(format, args...))
}

// describe is the help text for the person filling in the form;
// beschreibung and definition are editorial notes and stay out.
func describe(e *Element) string { return e.HilfetextEingabe }

// container fills s with the object keywords of a schema or group.
func (x *exporter) container(s *Object, e *Element) {
	s.Set("type", "object")
	props := NewObject()
	var required []string
	for _, c := range e.Children {
		ce := c.Element
		if ce.Kind == KindField && ce.Feldart == "label" {
			continue
		}
		key := ce.ID
		if key == "" {
			x.warn("%s: element %q without id left out", e.ID, ce.Name)
			continue
		}
		if props.Has(key) {
			for i := 2; ; i++ {
				if k := fmt.Sprintf("%s_%d", ce.ID, i); !props.Has(k) {
					key = k
					break
				}
			}
			x.warn("%s: %s appears more than once; the repetition is property %s", e.ID, ce.ID, key)
		}
		props.Set(key, x.child(c))
		if c.Cardinality.Min >= 1 {
			required = append(required, key)
		}
	}
	s.Set("properties", props)
	if len(required) > 0 {
		s.Set("required", required)
	}
	s.Set("additionalProperties", false)
}

// child is the schema of one struktur entry, wrapped in an array when more
// than one occurrence is allowed.
func (x *exporter) child(c *Child) *Object {
	var item *Object
	if c.Element.Kind == KindField {
		item = x.field(c.Element)
	} else {
		item = NewObject()
		item.Set("title", c.Element.Title())
		if d := describe(c.Element); d != "" {
			item.Set("description", d)
		}
		x.container(item, c.Element)
	}
	if !c.Cardinality.Multiple() {
		return item
	}
	arr := NewObject()
	arr.Set("title", c.Element.Title())
	arr.Set("type", "array")
	arr.Set("items", item)
	if c.Cardinality.Min > 0 {
		arr.Set("minItems", c.Cardinality.Min)
	}
	if c.Cardinality.Max != Unbounded {
		arr.Set("maxItems", c.Cardinality.Max)
	}
	return arr
}

var attachmentSchema = func() *Object {
	props := NewObject()
	props.Set("attachmentId", obj("type", "string", "minLength", 1))
	props.Set("filename", obj("type", "string"))
	props.Set("mediaType", obj("type", "string"))
	props.Set("size", obj("type", "integer", "minimum", 0))
	return props
}

func (x *exporter) field(e *Element) *Object {
	s := NewObject()
	s.Set("title", e.Title())
	if d := describe(e); d != "" {
		s.Set("description", d)
	}
	// Values from a code list or a werte list.
	var codes []string
	if e.CodeList != nil {
		r := x.out.CodeLists[x.resolved[e.CodeList.Key()]]
		if r.List != nil {
			codes = r.List.Codes()
			if len(codes) == 0 {
				x.warn("%s: code list %s has no entries; the field accepts free text", e.ID, r.List.CanonicalVersionURI)
			}
		}
	} else if len(e.Werte) > 0 {
		for _, w := range e.Werte {
			codes = append(codes, w.Code)
		}
	} else if e.Feldart == "select" {
		x.warn("%s: select field without code list or values; the field accepts free text", e.ID)
	}
	if len(codes) > 0 {
		s.Set("type", "string")
		s.Set("enum", codes)
		x.locked(s, e)
		return s
	}
	pr := e.Praezisierung
	switch e.Datentyp {
	case "bool":
		s.Set("type", "boolean")
	case "num", "num_int", "num_currency":
		if e.Datentyp == "num_int" {
			s.Set("type", "integer")
		} else {
			s.Set("type", "number")
		}
		if e.Datentyp == "num_currency" {
			s.Set("multipleOf", json.Number("0.01"))
		}
		if n, ok := x.number(e, "minValue", pr.MinValue); ok {
			s.Set("minimum", n)
		}
		if n, ok := x.number(e, "maxValue", pr.MaxValue); ok {
			s.Set("maximum", n)
		}
	case "date", "time", "datetime":
		s.Set("type", "string")
		s.Set("format", map[string]string{"date": "date", "time": "time", "datetime": "date-time"}[e.Datentyp])
	case "file", "obj":
		s.Set("type", "object")
		s.Set("required", []string{"attachmentId"})
		props := attachmentSchema()
		if len(e.MediaTypes) > 0 {
			props.Set("mediaType", obj("type", "string", "enum", e.MediaTypes))
		}
		if e.MaxSize != "" {
			if n, err := strconv.ParseInt(e.MaxSize, 10, 64); err == nil && n >= 0 {
				props.Set("size", obj("type", "integer", "minimum", 0, "maximum", n))
			} else {
				x.warn("%s: maxSize %q is not a number; left out", e.ID, e.MaxSize)
			}
		}
		s.Set("properties", props)
		s.Set("additionalProperties", false)
	default: // text, text_latin and anything unknown
		if e.Datentyp != "text" && e.Datentyp != "text_latin" {
			x.warn("%s: datentyp %q unknown; the field accepts text", e.ID, e.Datentyp)
		}
		s.Set("type", "string")
		if pr.MinLength != nil {
			s.Set("minLength", *pr.MinLength)
		}
		if pr.MaxLength != nil {
			s.Set("maxLength", *pr.MaxLength)
		}
		if pr.Pattern != "" {
			p := "^(?:" + pr.Pattern + ")$"
			if _, err := regexp.Compile(p); err != nil {
				x.warn("%s: pattern %q cannot be used (%v); left out", e.ID, pr.Pattern, err)
			} else {
				s.Set("pattern", p)
			}
		}
		if e.Inhalt != "" && e.Feldart != "locked" {
			s.Set("default", e.Inhalt)
		}
	}
	x.locked(s, e)
	return s
}

func (x *exporter) locked(s *Object, e *Element) {
	if e.Feldart == "locked" {
		s.Set("readOnly", true)
	}
}

// number checks a praezisierung bound and returns it as a JSON number.
func (x *exporter) number(e *Element, name, v string) (json.Number, bool) {
	if v == "" {
		return "", false
	}
	if _, err := strconv.ParseFloat(v, 64); err != nil || !json.Valid([]byte(v)) {
		x.warn("%s: %s %q is not a number; left out", e.ID, name, v)
		return "", false
	}
	return json.Number(v), true
}

// Object is a JSON object that keeps the order of its keys.
type Object struct {
	keys []string
	vals map[string]any
}

// NewObject returns an empty object.
func NewObject() *Object { return &Object{vals: map[string]any{}} }

func obj(kv ...any) *Object {
	o := NewObject()
	for i := 0; i+1 < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}

// Set sets a key, keeping its first position.
func (o *Object) Set(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

// Get returns the value of a key.
func (o *Object) Get(k string) any { return o.vals[k] }

// Has reports whether the key is set.
func (o *Object) Has(k string) bool { _, ok := o.vals[k]; return ok }

// Keys returns the keys in order.
func (o *Object) Keys() []string { return append([]string(nil), o.keys...) }

// MarshalJSON writes the keys in order.
func (o *Object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := marshal(k)
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		vb, err := marshal(o.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func marshalIndent(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
