package form

// The state of one application being filled in, and its evaluation into
// a JSON instance with errors.

import (
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/ozgo/ozgo/internal/errs"
)

// State is what a person has entered so far. Keys are instance paths: the
// model path with the index of each repetition after the repeated key
// ("G00000642.G00000132.G00000016.G00000015.1.F00000026").
type State struct {
	// Values are the raw answers as typed (or the chosen code, "true"/"false").
	Values map[string]string `json:"values,omitempty"`
	// Counts are the numbers of occurrences shown for repeated elements.
	Counts map[string]int `json:"counts,omitempty"`
	// Files are the uploaded files by field.
	Files map[string]File `json:"files,omitempty"`
	// Seen marks the pages the person has saved at least once.
	Seen map[int]bool `json:"seen,omitempty"`
}

// File is an uploaded file.
type File struct {
	BlobID    string `json:"blob"`
	Name      string `json:"name"`
	MediaType string `json:"type"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
}

// NewState returns an empty state.
func NewState() *State {
	return &State{Values: map[string]string{}, Counts: map[string]int{}, Files: map[string]File{}, Seen: map[int]bool{}}
}

func (s *State) init() {
	if s.Values == nil {
		s.Values = map[string]string{}
	}
	if s.Counts == nil {
		s.Counts = map[string]int{}
	}
	if s.Files == nil {
		s.Files = map[string]File{}
	}
	if s.Seen == nil {
		s.Seen = map[int]bool{}
	}
}

// Count is the number of occurrences of a repeated element shown: what the
// person chose, at least the minimum (and one for optional ones), at most
// the maximum.
func (s *State) Count(n *Node, ipath string) int {
	c, ok := s.Counts[ipath]
	if !ok {
		c = max(n.Card.Min, 1)
	}
	c = max(c, n.Card.Min)
	if n.Card.Max != -1 && c > n.Card.Max {
		c = n.Card.Max
	}
	return c
}

// join appends a segment to an instance path.
func join(base, seg string) string {
	if base == "" {
		return seg
	}
	return base + "." + seg
}

// Occurrence is one place of a node in the instance.
type Occurrence struct {
	Node *Node
	Path string
}

// PageFields lists the data fields shown on a page, with their instance
// paths, in display order.
func (m *Model) PageFields(s *State, page int) []Occurrence {
	var out []Occurrence
	var walk func(n *Node, ipath string)
	walk = func(n *Node, ipath string) {
		if !n.IsGroup() {
			if n.IsData() {
				out = append(out, Occurrence{n, ipath})
			}
			return
		}
		for _, c := range n.Children {
			for _, p := range s.occurrences(c, ipath) {
				walk(c, p)
			}
		}
	}
	if page < 0 || page >= len(m.Pages) {
		return nil
	}
	for _, n := range m.Pages[page].Nodes {
		for _, p := range s.occurrences(n, "") {
			walk(n, p)
		}
	}
	return out
}

// occurrences returns the instance paths of child c below parent path base.
func (s *State) occurrences(c *Node, base string) []string {
	p := join(base, c.Key)
	if !c.Card.Multiple() {
		return []string{p}
	}
	n := s.Count(c, p)
	out := make([]string, n)
	for i := range out {
		out[i] = p + "." + strconv.Itoa(i)
	}
	return out
}

// Apply takes the answers of one page from a posted form. Fields of the
// page that are missing from the form (an unchecked radio group) are
// cleared; file fields are left to the caller.
func (m *Model) Apply(s *State, page int, form url.Values) {
	s.init()
	for _, o := range m.PageFields(s, page) {
		e := o.Node.Element
		if o.Node.IsFile() || e.Feldart == "locked" || e.Feldart == "hidden" {
			continue
		}
		v, ok := form[o.Path]
		if !ok || len(v) == 0 {
			delete(s.Values, o.Path)
			continue
		}
		if len(v[0]) > maxRawAnswer {
			v[0] = v[0][:maxRawAnswer]
		}
		s.Values[o.Path] = v[0]
	}
}

// maxRawAnswer bounds what is kept of one typed answer; CheckField
// reports anything over the field's limit.
const maxRawAnswer = 64 << 10

// repeated checks that ipath names a repeated element on the page and
// returns its node.
func (m *Model) repeated(s *State, page int, ipath string) *Node {
	segs := splitPath(ipath)
	if len(segs) == 0 || isIndex(segs[len(segs)-1]) {
		return nil
	}
	n := m.Node(ModelPath(ipath))
	if n == nil || !n.Card.Multiple() || n.Page != page {
		return nil
	}
	// Every enclosing repetition index must exist.
	parent := strings.Join(segs[:len(segs)-1], ".")
	if parent != "" && n.Parent != nil && n.Parent.Path != "" {
		found := false
		for _, o := range m.groupOccurrences(s, n.Parent) {
			if o == parent {
				found = true
				break
			}
		}
		if !found {
			return nil
		}
	}
	return n
}

// groupOccurrences lists the instance paths of a group node.
func (m *Model) groupOccurrences(s *State, g *Node) []string {
	var chain []*Node
	for x := g; x != nil && x.Parent != nil; x = x.Parent {
		chain = append([]*Node{x}, chain...)
	}
	paths := []string{""}
	for _, x := range chain {
		var next []string
		for _, p := range paths {
			next = append(next, s.occurrences(x, p)...)
		}
		paths = next
	}
	return paths
}

// Add shows one more occurrence of the repeated element at ipath. It
// reports false when that is not possible (unknown path, maximum reached).
func (m *Model) Add(s *State, page int, ipath string) bool {
	s.init()
	n := m.repeated(s, page, ipath)
	if n == nil {
		return false
	}
	c := s.Count(n, ipath)
	if n.Card.Max != -1 && c >= n.Card.Max {
		return false
	}
	s.Counts[ipath] = c + 1
	return true
}

// Remove deletes occurrence i of the repeated element at ipath with its
// answers and files; later occurrences move up. It returns the files that
// are no longer referenced.
func (m *Model) Remove(s *State, page int, ipath string, i int) ([]File, bool) {
	s.init()
	n := m.repeated(s, page, ipath)
	if n == nil {
		return nil, false
	}
	c := s.Count(n, ipath)
	floor := n.Card.Min
	if i < 0 || i >= c || c <= floor {
		return nil, false
	}
	prefix := ipath + "."
	var dropped []File
	// shift renames key k (below ipath) for the removal of index i; ok is
	// false when the key belongs to the removed occurrence.
	shift := func(k string) (string, bool) {
		rest := strings.TrimPrefix(k, prefix)
		idx, tail, _ := strings.Cut(rest, ".")
		j, err := strconv.Atoi(idx)
		if err != nil || j < i {
			return k, true
		}
		if j == i {
			return "", false
		}
		nk := prefix + strconv.Itoa(j-1)
		if tail != "" {
			nk += "." + tail
		}
		return nk, true
	}
	values := map[string]string{}
	for k, v := range s.Values {
		if !strings.HasPrefix(k, prefix) {
			values[k] = v
		} else if nk, ok := shift(k); ok {
			values[nk] = v
		}
	}
	s.Values = values
	counts := map[string]int{}
	for k, v := range s.Counts {
		if !strings.HasPrefix(k, prefix) {
			counts[k] = v
		} else if nk, ok := shift(k); ok {
			counts[nk] = v
		}
	}
	s.Counts = counts
	files := map[string]File{}
	for k, v := range s.Files {
		if !strings.HasPrefix(k, prefix) {
			files[k] = v
		} else if nk, ok := shift(k); ok {
			files[nk] = v
		} else {
			dropped = append(dropped, v)
		}
	}
	s.Files = files
	s.Counts[ipath] = c - 1
	return dropped, true
}

// FieldError is a problem with one answer. Path is the instance path;
// Message a catalog key with Args.
type FieldError struct {
	Path    string
	Node    *Node
	Page    int
	Message string
	Args    []any
}

// Result is the evaluation of a state: the JSON instance built from all
// valid answers, and every problem in document order.
type Result struct {
	Data   map[string]any
	Errors []FieldError
	// Ignored are instance paths whose answers do not count because a rule
	// does not allow them (e.g. details of a question answered "Nein").
	Ignored map[string]bool
	// Required are instance paths that a rule made required.
	Required map[string]bool
}

// PageErrors returns the errors of one page.
func (r *Result) PageErrors(page int) []FieldError {
	var out []FieldError
	for _, e := range r.Errors {
		if e.Page == page {
			out = append(out, e)
		}
	}
	return out
}

// ErrorAt returns the error of one instance path, if any.
func (r *Result) ErrorAt(ipath string) *FieldError {
	for i := range r.Errors {
		if r.Errors[i].Path == ipath {
			return &r.Errors[i]
		}
	}
	return nil
}

// FirstErrorPage is the first page with an error, or -1.
func (r *Result) FirstErrorPage() int {
	p := -1
	for _, e := range r.Errors {
		if p == -1 || e.Page < p {
			p = e.Page
		}
	}
	return p
}

// JSON is the instance as JSON, the form the submission stores.
func (r *Result) JSON() ([]byte, error) { return json.Marshal(r.Data) }

// Evaluate turns the state into an instance and collects every problem.
func (m *Model) Evaluate(s *State) *Result {
	s.init()
	ev := &evaluator{m: m, s: s, res: &Result{Ignored: map[string]bool{}, Required: map[string]bool{}}}
	ev.filledPrefixes()
	ev.res.Data = ev.group(m.Root, "")
	sort.SliceStable(ev.res.Errors, func(i, j int) bool { return ev.res.Errors[i].Page < ev.res.Errors[j].Page })
	return ev.res
}

type evaluator struct {
	m   *Model
	s   *State
	res *Result
	// filled holds every instance path (and each of its ancestors) that
	// has an answer or a file.
	filled map[string]bool
}

func (ev *evaluator) filledPrefixes() {
	ev.filled = map[string]bool{}
	mark := func(k string) {
		for {
			if ev.filled[k] {
				return
			}
			ev.filled[k] = true
			i := strings.LastIndexByte(k, '.')
			if i < 0 {
				return
			}
			k = k[:i]
		}
	}
	for k, v := range ev.s.Values {
		if strings.TrimSpace(v) != "" {
			mark(k)
		}
	}
	for k := range ev.s.Files {
		mark(k)
	}
}

func (ev *evaluator) errorf(n *Node, ipath, key string, args ...any) {
	ev.res.Errors = append(ev.res.Errors, FieldError{Path: ipath, Node: n, Page: n.Page, Message: key, Args: args})
}

// group evaluates one occurrence of a group that is present.
func (ev *evaluator) group(n *Node, ipath string) map[string]any {
	obj := map[string]any{}
	ev.applyRules(n, ipath)
	for _, c := range n.Children {
		if !c.IsData() {
			continue
		}
		cp := join(ipath, c.Key)
		if ev.res.Ignored[cp] {
			continue
		}
		required := c.Card.Min >= 1 || ev.res.Required[cp]
		if c.Card.Multiple() {
			var items []any
			count := ev.s.Count(c, cp)
			for i := 0; i < count; i++ {
				ip := cp + "." + strconv.Itoa(i)
				need := i < c.Card.Min
				if v, ok := ev.occurrence(c, ip, need); ok {
					items = append(items, v)
				}
			}
			if len(items) > 0 {
				obj[c.Key] = items
			}
			continue
		}
		if v, ok := ev.occurrence(c, cp, required); ok {
			obj[c.Key] = v
		}
	}
	return obj
}

// occurrence evaluates one occurrence of a node. A group that is not
// required is present when anything in it is filled in.
func (ev *evaluator) occurrence(n *Node, ipath string, required bool) (any, bool) {
	if n.IsGroup() {
		if !ev.filled[ipath] {
			if !required {
				return nil, false
			}
			if !hasRequiredChild(n) {
				// Nothing inside is required on its own, but the group is.
				ev.errorf(n, ipath, "form.error.required_group", n.Title())
			}
		}
		return ev.group(n, ipath), true
	}
	before := len(ev.res.Errors)
	v := ev.field(n, ipath)
	if v == nil && required && len(ev.res.Errors) == before {
		ev.errorf(n, ipath, requiredKey(n), n.Title())
	}
	return v, v != nil
}

func hasRequiredChild(n *Node) bool {
	for _, c := range n.Children {
		if c.IsData() && c.Card.Min >= 1 {
			return true
		}
	}
	return false
}

func requiredKey(n *Node) string {
	switch {
	case n.IsFile():
		return "form.error.required_file"
	case n.Element.Datentyp == "bool":
		return "form.error.required_bool"
	case len(n.Options) > 0:
		return "form.error.required_select"
	}
	return "form.error.required"
}

// field returns the value of one field occurrence, nil when empty or
// invalid (then with an error).
func (ev *evaluator) field(n *Node, ipath string) any {
	e := n.Element
	if n.IsFile() {
		f, ok := ev.s.Files[ipath]
		if !ok {
			return nil
		}
		return map[string]any{"attachmentId": f.BlobID, "filename": f.Name, "mediaType": f.MediaType, "size": f.Size}
	}
	raw := ev.s.Values[ipath]
	if e.Feldart == "locked" || e.Feldart == "hidden" {
		raw = e.Inhalt
	}
	v, err := CheckField(e, raw, n.Codes)
	if err != nil {
		key, args := errs.MessageArgsOf(err)
		ev.errorf(n, ipath, key, args...)
		return nil
	}
	return v
}

// applyRules evaluates the rules carried by group n for its occurrence at
// ipath and marks their targets.
func (ev *evaluator) applyRules(n *Node, ipath string) {
	for _, r := range n.Rules {
		fieldPath := join(ipath, r.fieldRel)
		holds := ev.condition(r, ev.m.Node(ModelPath(fieldPath)), fieldPath)
		for _, t := range r.targetRels {
			tp := join(ipath, t)
			switch r.Kind {
			case RuleRequiredIf:
				if holds {
					ev.res.Required[tp] = true
				}
			case RuleOnlyIf:
				if !holds {
					ev.res.Ignored[tp] = true
				}
			}
		}
	}
}

// condition evaluates a rule's condition against the answer at ipath.
func (ev *evaluator) condition(r *Rule, n *Node, ipath string) bool {
	if n == nil {
		return false
	}
	raw := strings.TrimSpace(ev.s.Values[ipath])
	var holds bool
	switch {
	case r.Value == "":
		holds = raw == ""
	case n.Element.Datentyp == "bool":
		b, err := ParseBool(raw)
		want, _ := ParseBool(r.Value)
		holds = err == nil && b == want
	default:
		holds = raw == r.Value
	}
	if r.Negate {
		return !holds
	}
	return holds
}

// Validate checks an instance against the form's JSON Schema.
func (m *Model) Validate(data []byte) ([]string, error) {
	probs, err := m.validator.Validate(strings.NewReader(string(data)))
	if err != nil {
		return nil, err
	}
	out := make([]string, len(probs))
	for i, p := range probs {
		out[i] = p.String()
	}
	return out, nil
}
