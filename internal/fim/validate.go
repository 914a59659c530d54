package fim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// Validator checks data against an exported schema.
type Validator struct {
	schema *jsonschema.Schema
}

// Compile compiles an exported schema as draft 2020-12 with format
// assertions on (a "date" must be a date).
func (x *Export) Compile() (*Validator, error) {
	return CompileSchema(x.JSON)
}

// CompileSchema compiles a JSON Schema document (draft 2020-12).
func CompileSchema(schemaJSON []byte) (*Validator, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, fmt.Errorf("schema is not JSON: %w", err)
	}
	id := "urn:ozgo:fim:schema"
	if m, ok := doc.(map[string]any); ok {
		if s, ok := m["$id"].(string); ok && s != "" {
			id = s
		}
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(id, doc); err != nil {
		return nil, err
	}
	sch, err := c.Compile(id)
	if err != nil {
		return nil, err
	}
	return &Validator{schema: sch}, nil
}

// Problem is one reason data does not match.
type Problem struct {
	Location string // JSON pointer into the data, "" for the whole document
	Message  string
}

func (p Problem) String() string {
	loc := p.Location
	if loc == "" {
		loc = "/"
	}
	return loc + ": " + p.Message
}

// MaxDataSize bounds the data documents Validate reads.
const MaxDataSize = 16 << 20

// Validate checks a JSON document. It returns the problems (none when the
// data is valid) or an error when the data is no JSON.
func (v *Validator) Validate(r io.Reader) ([]Problem, error) {
	lr := &io.LimitedReader{R: r, N: MaxDataSize + 1}
	data, err := jsonschema.UnmarshalJSON(lr)
	if lr.N <= 0 {
		return nil, fmt.Errorf("data larger than %d MiB", MaxDataSize>>20)
	}
	if err != nil {
		return nil, fmt.Errorf("data is not JSON: %w", err)
	}
	return v.ValidateValue(data), nil
}

// ValidateValue checks a decoded value (as from jsonschema.UnmarshalJSON
// or json.Decoder with UseNumber).
func (v *Validator) ValidateValue(data any) []Problem {
	err := v.schema.Validate(data)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []Problem{{Message: err.Error()}}
	}
	var out []Problem
	seen := map[Problem]bool{}
	// BasicOutput flattens the tree; its messages use the library's printer.
	for _, u := range ve.BasicOutput().Errors {
		if u.Error == nil {
			continue
		}
		switch u.Error.Kind.(type) {
		case *kind.Schema, *kind.Group, *kind.Reference, *kind.AllOf:
			continue
		}
		p := Problem{Location: u.InstanceLocation, Message: u.Error.String()}
		if e, ok := u.Error.Kind.(*kind.Enum); ok && len(e.Want) > maxEnumShown {
			p.Message = fmt.Sprintf("value %s is not in the code list (%d codes)", quoteValue(e.Got), len(e.Want))
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	// The validator walks objects in map order; sort for stable output.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Location < out[j].Location })
	if len(out) == 0 {
		out = append(out, Problem{Message: ve.Error()})
	}
	return out
}

// maxEnumShown is the largest enum listed in full in a problem.
const maxEnumShown = 20

func quoteValue(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}
