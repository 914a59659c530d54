package form

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/ozgo/ozgo/internal/fim"
)

// The real forms live in the fim package's test data.
const (
	s94  = "../fim/testdata/xdf2/S00000094/S00000094V1.0_xdf2.xml"
	s121 = "../fim/testdata/xdf2/S00000121/S00000121V1.0_xdf2.xml"
)

func loadModel(t testing.TB, file string) *Model {
	t.Helper()
	cls := fim.NewCodeListStore()
	for _, dir := range []string{"../fim/testdata/codelists", "../fim/testdata/xdf2/S00000094"} {
		if _, _, err := cls.LoadDir(dir); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := fim.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(doc, cls)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseRule(t *testing.T) {
	cases := []struct {
		text    string
		kind    RuleKind
		field   string
		value   string
		negate  bool
		targets []string
	}{
		{"Wenn im Datenfeld F00000463 der Wert 009 angegeben wurde, dann soll F00000601 zum Pflichtfeld werden.", RuleRequiredIf, "F00000463", "009", false, []string{"F00000601"}},
		{`Wenn im Datenfeld F60000240 der Wert "" angegeben wurde, dann soll F00002483 zum Pflichtfeld werden.`, RuleRequiredIf, "F60000240", "", false, []string{"F00002483"}},
		{`Wenn im Datenfeld F60000242 nicht der Wert "" angegeben wurde, dann soll F00002408 zum Pflichtfeld werden.`, RuleRequiredIf, "F60000242", "", true, []string{"F00002408"}},
		{"Wenn im Datenfeld F60000263 der Wert 001 angegeben wurde, dann soll G60000088 zum Pflichtfeld werden.", RuleRequiredIf, "F60000263", "001", false, []string{"G60000088"}},
		{"\"F00001028 Krankenversicherungsträger\" ist nur dann zu befüllen, wenn \"F00001027 Krankenversicherung vorhanden\" bejaht wurde.", RuleOnlyIf, "F00001027", "true", false, []string{"F00001028"}},
		{"„F00001031 Staat“, \n„F00001032 Entscheidung“, und „F00001033 Ablehnung“ sind nur dann zu befüllen, wenn „F00001030 Antrag gestellt“ bejaht wurde.", RuleOnlyIf, "F00001030", "true", false, []string{"F00001031", "F00001032", "F00001033"}},
		// Not machine-readable: guidance.
		{"Die Angaben müssen plausibel sein.", RuleGuidance, "", "", false, nil},
		{"Wenn im Datenfeld F1 der Wert irgendwas mit Leerzeichen angegeben wurde, dann soll F2 zum Pflichtfeld werden.", RuleGuidance, "", "", false, nil},
		{"\"F00001028 X\" und sonst alles ist nur dann zu befüllen, wenn \"F00001027 Y\" bejaht wurde.", RuleGuidance, "", "", false, nil},
		{"", RuleGuidance, "", "", false, nil},
	}
	for _, c := range cases {
		r := ParseRule(&fim.Rule{Definition: c.text})
		if r.Kind != c.kind || r.Field != c.field || r.Value != c.value || r.Negate != c.negate || strings.Join(r.Targets, ",") != strings.Join(c.targets, ",") {
			t.Errorf("%q: got %v %q %q %v %v", c.text, r.Kind, r.Field, r.Value, r.Negate, r.Targets)
		}
	}
}

func TestRulesBound(t *testing.T) {
	m := loadModel(t, s121)
	if len(m.Rules) != 3 || m.EnforcedRules() != 3 {
		for _, u := range m.Rules {
			t.Logf("%s %v %s", u.Rule.Source.ID, u.Enforced, u.Reason)
		}
		t.Fatalf("S00000121: %d rules, %d enforced; want 3, 3", len(m.Rules), m.EnforcedRules())
	}
	m94 := loadModel(t, s94)
	for _, u := range m94.Rules {
		if !u.Enforced && u.Rule.Source.ID != "R00000849" {
			t.Errorf("S00000094: %s not enforced: %s", u.Rule.Source.ID, u.Reason)
		}
	}
	if h := m.RuleHints("G00000636.F00001028"); len(h) != 1 || h[0].Kind != RuleOnlyIf || !strings.Contains(h[0].FieldTitle, "Krankenversicherungsschutz") {
		t.Errorf("hints of F00001028: %+v", h)
	}
}

func TestPages(t *testing.T) {
	m := loadModel(t, s121)
	// 9 top-level groups, and runs of loose yes/no questions between them.
	var titles []string
	for _, p := range m.Pages {
		titles = append(titles, p.Title)
	}
	if len(m.Pages) != 12 || m.Pages[0].Title != "Persönliche Angaben zum Antragsteller" || m.Pages[6].Title != "" {
		t.Fatalf("pages: %d %q", len(m.Pages), titles)
	}
	if n := len(m.Pages[len(m.Pages)-1].Nodes); n != 8 {
		t.Errorf("last page has %d questions, want 8", n)
	}
}

// fill answers every field of every page (optional ones too, repeats twice)
// with valid values.
func fill(t testing.TB, m *Model, s *State, all bool) {
	t.Helper()
	if all {
		m.Root.Walk(func(n *Node) {
			if !n.Card.Multiple() {
				return
			}
			for _, p := range m.groupOccurrences(s, n.Parent) {
				c := 2
				if n.Card.Max != fim.Unbounded && n.Card.Max < c {
					c = n.Card.Max
				}
				s.Counts[join(p, n.Key)] = max(c, n.Card.Min)
			}
		})
	}
	for i := range m.Pages {
		for _, o := range m.PageFields(s, i) {
			if all || requiredChain(o.Node) {
				answer(s, o)
			}
		}
		s.Seen[i] = true
	}
	if all {
		return
	}
	// Then answer what the evaluation still asks for (groups required by a
	// rule, groups needing one of their optional parts), as a person would.
	for range 5 {
		res := m.Evaluate(s)
		if len(res.Errors) == 0 {
			return
		}
		for _, e := range res.Errors {
			prefix := e.Path
			if e.Node.IsGroup() && !strings.HasPrefix(e.Message, "form.error.required") {
				continue
			}
			if e.Message == "form.error.required_group" {
				prefix = join(e.Path, e.Node.Children[0].Key)
			}
			for _, o := range m.PageFields(s, e.Page) {
				if o.Path == prefix || strings.HasPrefix(o.Path, prefix+".") {
					if _, done := s.Values[o.Path]; !done && (o.Path == prefix || requiredBelow(o.Node, e.Node)) {
						answer(s, o)
					}
				}
			}
		}
	}
}

func answer(s *State, o Occurrence) {
	if o.Node.IsFile() {
		s.Files[o.Path] = File{BlobID: "0123456789abcdef0123456789abcdef", Name: "nachweis.pdf", MediaType: "application/pdf", Size: 1234}
		return
	}
	s.Values[o.Path] = Example(o.Node)
}

// requiredBelow reports whether n is required relative to its ancestor top
// (every step in between has a minimum of one, or is top's first child).
func requiredBelow(n, top *Node) bool {
	for x := n; x != nil && x != top; x = x.Parent {
		if x.Card.Min == 0 && !(x.Parent == top && top.Children[0] == x) {
			return false
		}
	}
	return true
}

func requiredChain(n *Node) bool {
	for x := n; x != nil && x.Parent != nil; x = x.Parent {
		if x.Card.Min == 0 {
			return false
		}
	}
	return true
}

func TestFilledFormsValidate(t *testing.T) {
	for _, file := range []string{s94, s121} {
		m := loadModel(t, file)
		for _, all := range []bool{false, true} {
			s := NewState()
			fill(t, m, s, all)
			res := m.Evaluate(s)
			for _, e := range res.Errors {
				t.Errorf("%s all=%v: %s: %s %v", m.ID, all, e.Path, e.Message, e.Args)
			}
			b, err := res.JSON()
			if err != nil {
				t.Fatal(err)
			}
			probs, err := m.Validate(b)
			if err != nil || len(probs) > 0 {
				t.Errorf("%s all=%v: instance fails its schema: %v %v\n%s", m.ID, all, err, probs, b)
			}
			if all && m.ID == "S00000121" {
				// Repeats became arrays of two, optional groups are present.
				var data map[string]any
				_ = json.Unmarshal(b, &data)
				kontakt := data["G00000642"].(map[string]any)["G00000132"].(map[string]any)["G00000016"].(map[string]any)["G00000015"].([]any)
				if len(kontakt) != 2 {
					t.Errorf("Kommunikation: %d entries, want 2", len(kontakt))
				}
			}
		}
	}
}

func TestRequiredAndTypeErrors(t *testing.T) {
	m := loadModel(t, s121)
	s := NewState()
	res := m.Evaluate(s)
	if res.FirstErrorPage() != 0 {
		t.Fatalf("first error page %d", res.FirstErrorPage())
	}
	byPath := map[string]string{}
	for _, e := range res.Errors {
		byPath[e.Path] = e.Message
	}
	if byPath["G00000630.F00000013"] != "form.error.required" || byPath["G00000630.F00000065"] != "form.error.required_select" ||
		byPath["G00000630.F00001019"] != "form.error.required_file" || byPath["F00001029"] != "form.error.required_bool" {
		t.Errorf("required errors: %v", byPath)
	}
	// Optional groups left empty are absent and bring no errors.
	for p := range byPath {
		if strings.HasPrefix(p, "G00000771.G00000236.G00000237") || strings.HasPrefix(p, "G00000642.G00000132.G00000016") {
			t.Errorf("error inside an empty optional group: %s", p)
		}
	}
	// Starting an optional group makes its required fields required.
	s.Values["G00000771.G00000236.G00000237.G00000040.F00000016"] = "12"
	res = m.Evaluate(s)
	if e := res.ErrorAt("G00000771.G00000236.G00000237.G00000040.F00000053"); e == nil {
		t.Error("Straße not required once the Straßenanschrift is started")
	}
	// Bad input keeps its error and stays out of the data.
	s.Values["G00000630.F00001017"] = "abc"
	s.Values["G00000642.F00000728"] = "12,345"
	res = m.Evaluate(s)
	if e := res.ErrorAt("G00000630.F00001017"); e == nil || e.Message != "form.error.number" {
		t.Errorf("Größe: %+v", e)
	}
	if e := res.ErrorAt("G00000642.F00000728"); e == nil || e.Message != "form.error.currency_precision" {
		t.Errorf("Jahresbrutto: %+v", e)
	}
}

func TestOnlyIfRule(t *testing.T) {
	m := loadModel(t, s121)
	s := NewState()
	fill(t, m, s, true)
	s.Values["G00000636.F00001027"] = "false"
	s.Values["G00000636.F00001028"] = "AOK"
	res := m.Evaluate(s)
	g := res.Data["G00000636"].(map[string]any)
	if _, ok := g["F00001028"]; ok || !res.Ignored["G00000636.F00001028"] {
		t.Errorf("Krankenversicherungsträger kept although the question was answered no: %v", g)
	}
	s.Values["G00000636.F00001027"] = "true"
	res = m.Evaluate(s)
	if g := res.Data["G00000636"].(map[string]any); g["F00001028"] != "AOK" {
		t.Errorf("Krankenversicherungsträger dropped although the question was answered yes: %v", g)
	}
}

func TestRequiredIfRule(t *testing.T) {
	m := loadModel(t, s94)
	s := NewState()
	fill(t, m, s, false)
	// Arbeitgeber: phone or e-mail (R00001223, R00011223).
	for _, k := range []string{"F60000240", "F00002483", "F00002408"} {
		delete(s.Values, "G00000253.G00001408."+k)
	}
	res := m.Evaluate(s)
	if res.ErrorAt("G00000253.G00001408.F00002483") == nil || res.ErrorAt("G00000253.G00001408.F60000240") == nil {
		t.Fatalf("no error for missing phone and e-mail: %+v", res.Errors)
	}
	if !res.Required["G00000253.G00001408.F00002483"] {
		t.Error("e-mail not marked required")
	}
	// The rules as written: phone or e-mail; and e-mail or the answer on
	// e-mail consent (R00001224, R20001224).
	s.Values["G00000253.G00001408.F60000240"] = "07071 1234"
	s.Values["G00000253.G00001408.F00002408"] = "false"
	res = m.Evaluate(s)
	if len(res.Errors) > 0 {
		t.Errorf("phone given, still errors: %+v", res.Errors)
	}
	// Beschäftigungsverhältnis "009" (Sonstiges) makes F00000601 required.
	var code string
	for _, c := range m.Node("F00000463").Codes {
		if c == "009" {
			code = c
		}
	}
	// The rule names 009, but the code list's "Sonstiges" is 999: the rule
	// cannot be enforced and says so.
	if code != "" {
		t.Fatal("code list now has 009; enforce R00000849")
	}
	for _, u := range m.Rules {
		if u.Rule.Source.ID == "R00000849" && (u.Enforced || !strings.Contains(u.Reason, "009")) {
			t.Errorf("R00000849: enforced=%v reason=%q", u.Enforced, u.Reason)
		}
	}
}

func TestAddRemove(t *testing.T) {
	m := loadModel(t, s121)
	s := NewState()
	base := "G00000642.G00000132.G00000016.G00000015"
	page := m.Node(ModelPath(base)).Page
	if !m.Add(s, page, base) || s.Count(m.Node(base), base) != 2 {
		t.Fatal("add failed")
	}
	if m.Add(s, page+1, base) {
		t.Error("add accepted on another page")
	}
	if m.Add(s, page, "G00000642.F00000214") {
		t.Error("add accepted for a single field")
	}
	s.Values[base+".0.F00000026"] = "first"
	s.Values[base+".1.F00000026"] = "second"
	s.Files[base+".1.F00000026"] = File{BlobID: "x"}
	dropped, ok := m.Remove(s, page, base, 0)
	if !ok || len(dropped) != 0 {
		t.Fatal("remove failed")
	}
	if s.Values[base+".0.F00000026"] != "second" || s.Files[base+".0.F00000026"].BlobID != "x" || s.Count(m.Node(base), base) != 1 {
		t.Errorf("after remove: %v %v", s.Values, s.Files)
	}
	if _, ok := m.Remove(s, page, base, 0); ok {
		t.Error("removed below the minimum of 1")
	}
	// ZeileAnschrift 2:5 can grow to 5 and not beyond.
	zeile := "G00000642.G00000132.G00000046.G00000245.F00000087"
	for i := 0; i < 3; i++ {
		if !m.Add(s, page, zeile) {
			t.Fatalf("add %d failed", i)
		}
	}
	if m.Add(s, page, zeile) {
		t.Error("sixth line accepted")
	}
	// Apply takes the posted answers of the page's occurrences.
	form := map[string][]string{zeile + ".4": {"Zeile fünf"}, "G00000642.F00000214": {"Ingenieurin"}, "G00000630.F00000013": {"not on this page"}}
	m.Apply(s, page, form)
	if s.Values[zeile+".4"] != "Zeile fünf" || s.Values["G00000642.F00000214"] != "Ingenieurin" {
		t.Errorf("apply: %v", s.Values)
	}
	if _, ok := s.Values["G00000630.F00000013"]; ok {
		t.Error("apply took a field from another page")
	}
}

func TestInvalidAnswerOneError(t *testing.T) {
	m := loadModel(t, s121)
	s := NewState()
	s.Values["G00000630.F00001017"] = "abc"
	n := 0
	for _, e := range m.Evaluate(s).Errors {
		if e.Path == "G00000630.F00001017" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d errors for one bad answer, want 1", n)
	}
}
