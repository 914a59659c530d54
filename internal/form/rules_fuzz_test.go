package form

import (
	"net/url"
	"testing"

	"github.com/ozgo/ozgo/internal/fim"
)

// FuzzParseRule: rule texts come from outside; any text parses to a rule
// whose ids are well-formed, or to guidance.
func FuzzParseRule(f *testing.F) {
	f.Add("Wenn im Datenfeld F00000463 der Wert 009 angegeben wurde, dann soll F00000601 zum Pflichtfeld werden.")
	f.Add(`Wenn im Datenfeld F60000242 nicht der Wert "" angegeben wurde, dann soll F00002408 zum Pflichtfeld werden.`)
	f.Add("\"F00001028 Träger\" ist nur dann zu befüllen, wenn \"F00001027 KV\" bejaht wurde.")
	f.Add("„F1 a“, „F2 b“ und „G3 c“ sind nur dann zu befüllen, wenn „F4 d“ bejaht wurde.")
	f.Fuzz(func(t *testing.T, text string) {
		r := ParseRule(&fim.Rule{Definition: text})
		if r.Kind == RuleGuidance {
			return
		}
		if !reBareID.MatchString(r.Field) || len(r.Targets) == 0 {
			t.Fatalf("%q: field %q targets %v", text, r.Field, r.Targets)
		}
		for _, id := range r.Targets {
			if !reBareID.MatchString(id) {
				t.Fatalf("%q: target %q", text, id)
			}
		}
	})
}

// FuzzApplyActions: posted field names and actions come from outside;
// whatever is posted, the state keeps only paths of the page and
// evaluation never panics.
func FuzzApplyActions(f *testing.F) {
	m := loadModel(f, s121)
	f.Add("G00000642.G00000132.G00000016.G00000015", "0", "G00000642.F00000214", "x")
	f.Add("G00000642.G00000132.G00000046.G00000245.F00000087", "1", "G00000642.G00000132.G00000046.G00000245.F00000087.4", "Zeile")
	f.Add("..", "-1", "G00000630.F00000013", "\xff")
	f.Fuzz(func(t *testing.T, addPath, idx, name, value string) {
		s := NewState()
		page := 4
		m.Add(s, page, addPath)
		i := 0
		for _, c := range idx {
			i = i*10 + int(c-'0')
			if i > 100 {
				break
			}
		}
		m.Remove(s, page, addPath, i)
		m.Apply(s, page, url.Values{name: {value}})
		for k := range s.Values {
			if n := m.Node(ModelPath(k)); n == nil || n.Page != page {
				t.Fatalf("state holds %q, not a field of page %d", k, page)
			}
		}
		for k, c := range s.Counts {
			if n := m.Node(ModelPath(k)); n == nil || !n.Card.Multiple() || c < n.Card.Min || (n.Card.Max != fim.Unbounded && c > n.Card.Max) {
				t.Fatalf("count %q = %d", k, c)
			}
		}
		res := m.Evaluate(s)
		if _, err := res.JSON(); err != nil {
			t.Fatal(err)
		}
	})
}
