package form

// Regeln. FIM rules mostly come as text. Two wordings are so regular in the
// Bundesredaktion's schemas that they are machine-readable in practice:
//
//   - the Regelvorlage "Wenn im Datenfeld F… [nicht] der Wert X angegeben
//     wurde, dann soll F…|G… zum Pflichtfeld werden." (S00000094 and most
//     current schemas), and
//   - "„F… …“, „F… …“ sind nur dann zu befüllen, wenn „F… …“ bejaht wurde."
//     (S00000121).
//
// The runtime enforces these. Everything else (free text, scripts) is shown
// as guidance and reported as not enforced. The scripts of XDatenfelder 2
// schemas published so far are empty stubs ("function script() {}").

import (
	"regexp"
	"strings"

	"github.com/ozgo/ozgo/internal/fim"
)

// RuleKind says what the runtime does with a rule.
type RuleKind int

// Rule kinds.
const (
	// RuleGuidance is shown as text and not enforced.
	RuleGuidance RuleKind = iota
	// RuleRequiredIf makes its targets required while the condition holds.
	RuleRequiredIf
	// RuleOnlyIf allows its targets only while the condition holds;
	// otherwise they are ignored and not part of the data.
	RuleOnlyIf
)

func (k RuleKind) String() string {
	switch k {
	case RuleRequiredIf:
		return "required-if"
	case RuleOnlyIf:
		return "only-if"
	}
	return "guidance"
}

// Rule is a parsed Regel.
type Rule struct {
	Source *fim.Rule
	Kind   RuleKind
	// Condition: the field (FIM id) whose value is compared, the value
	// ("" means empty; "true" for "bejaht") and whether it is negated.
	Field  string
	Value  string
	Negate bool
	// Targets are the FIM ids of the fields or groups the rule acts on.
	Targets []string

	// Bound by the model: paths relative to the rule's element.
	fieldRel   string
	targetRels []string
}

var (
	spaceRun   = regexp.MustCompile(`\s+`)
	reRequired = regexp.MustCompile(`^Wenn im Datenfeld ([FG]\d+) (nicht )?der Wert (.+?) angegeben wurde, dann soll ([FG]\d+) zum Pflichtfeld werden\.?$`)
	reOnlyIf   = regexp.MustCompile(`^(.+?) (?:ist|sind) nur dann zu befüllen, wenn "([F]\d+)[^"]*" bejaht wurde\.?$`)
	reQuotedID = regexp.MustCompile(`"([FG]\d+)[^"]*"`)
	reBareID   = regexp.MustCompile(`^[FG]\d+$`)
)

// ParseRule reads the machine-readable wordings from a rule's definition
// (or, in XDatenfelder 3, its freitextRegel). Any other rule comes back as
// RuleGuidance.
func ParseRule(r *fim.Rule) *Rule {
	out := &Rule{Source: r}
	for _, text := range []string{r.Definition, r.Freitext, r.Beschreibung} {
		t := normaliseQuotes(strings.TrimSpace(spaceRun.ReplaceAllString(text, " ")))
		if t == "" {
			continue
		}
		if m := reRequired.FindStringSubmatch(t); m != nil {
			v := strings.TrimSpace(m[3])
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			} else if strings.ContainsAny(v, `" `) {
				continue
			}
			out.Kind, out.Field, out.Negate, out.Value, out.Targets = RuleRequiredIf, m[1], m[2] != "", v, []string{m[4]}
			return out
		}
		if m := reOnlyIf.FindStringSubmatch(t); m != nil {
			var targets []string
			for _, q := range reQuotedID.FindAllStringSubmatch(m[1], -1) {
				targets = append(targets, q[1])
			}
			// The target list must consist of quoted ids only.
			rest := reQuotedID.ReplaceAllString(m[1], "")
			rest = strings.NewReplacer(",", "", " und ", "", " oder ", "", " ", "").Replace(" " + rest + " ")
			if len(targets) == 0 || rest != "" {
				continue
			}
			out.Kind, out.Field, out.Value, out.Targets = RuleOnlyIf, m[2], "true", targets
			return out
		}
	}
	return out
}

// normaliseQuotes turns typographic quotes into plain ones.
func normaliseQuotes(s string) string {
	return strings.NewReplacer("„", `"`, "“", `"`, "”", `"`, "«", `"`, "»", `"`).Replace(s)
}

// RuleUse is a rule where it is attached, with what the runtime does.
type RuleUse struct {
	Rule *Rule
	// Owner is the model path of the element carrying the rule ("" for
	// the schema itself).
	Owner    string
	Enforced bool
	// Reason says why a rule is not enforced.
	Reason string
}

// bindRules parses the rules of every element and resolves their ids
// against the element's subtree.
func (m *Model) bindRules() []RuleUse {
	var uses []RuleUse
	m.hints = map[string][]RuleHint{}
	bind := func(n *Node) {
		for _, fr := range n.Element.Rules {
			r := ParseRule(fr)
			u := RuleUse{Rule: r, Owner: n.Path}
			if r.Kind == RuleGuidance {
				u.Reason = "text only"
				uses = append(uses, u)
				continue
			}
			ok := true
			field := findRel(n, r.Field)
			if field == nil || field.IsGroup() || field.Card.Multiple() {
				ok = false
				u.Reason = "field " + r.Field + " not found as a single field below " + nameOf(n)
			} else if r.Value != "" && len(field.Codes) > 0 && !contains(field.Codes, r.Value) {
				ok = false
				u.Reason = "value " + r.Value + " is not a code of " + r.Field + "'s code list"
			} else {
				r.fieldRel = relPath(n, field)
			}
			for _, t := range r.Targets {
				tn := findRel(n, t)
				if tn == nil {
					ok = false
					u.Reason = "target " + t + " not found as a single element below " + nameOf(n)
					break
				}
				r.targetRels = append(r.targetRels, relPath(n, tn))
			}
			if ok {
				u.Enforced = true
				n.Rules = append(n.Rules, r)
				fn := findRel(n, r.Field)
				h := RuleHint{Kind: r.Kind, FieldTitle: fn.Title(), Value: r.Value, ValueLabel: fn.OptionLabel(r.Value), Negate: r.Negate}
				for _, t := range r.targetRels {
					tp := t
					if n.Path != "" {
						tp = n.Path + "." + t
					}
					m.hints[tp] = append(m.hints[tp], h)
				}
			} else {
				r.Kind = RuleGuidance
			}
			uses = append(uses, u)
		}
	}
	bind(m.Root)
	m.Root.Walk(bind)
	return uses
}

func nameOf(n *Node) string {
	if n.Element.ID != "" {
		return n.Element.ID
	}
	return "the schema"
}

// findRel finds the first element with a FIM id below n, not inside a
// repeated element (whose occurrence would be ambiguous).
func findRel(n *Node, id string) *Node {
	if !reBareID.MatchString(id) {
		return nil
	}
	for _, c := range n.Children {
		if c.Element.ID == id && c.IsData() {
			return c
		}
	}
	for _, c := range n.Children {
		if c.IsGroup() && !c.Card.Multiple() {
			if f := findRel(c, id); f != nil {
				return f
			}
		}
	}
	return nil
}

func relPath(owner, n *Node) string {
	if owner.Path == "" {
		return n.Path
	}
	return strings.TrimPrefix(n.Path, owner.Path+".")
}

// RuleHint describes an enforced rule acting on an element, for the hint
// shown beside it.
type RuleHint struct {
	Kind       RuleKind
	FieldTitle string // title of the field the condition reads
	Value      string
	ValueLabel string // the code's label for select fields
	Negate     bool
}

// RuleHints returns the hints of the element at a model path.
func (m *Model) RuleHints(path string) []RuleHint { return m.hints[path] }

// EnforcedRules counts the rules the runtime enforces.
func (m *Model) EnforcedRules() int {
	n := 0
	for _, u := range m.Rules {
		if u.Enforced {
			n++
		}
	}
	return n
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
