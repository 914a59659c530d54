package payment

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/ozgo/ozgo/internal/errs"
)

func instance(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRuleCompute(t *testing.T) {
	data := `{"G1":{"art":"verlaengerung","kinder":[{"n":"a"},{"n":"b"},{"n":"c"}],"dauer":12,"express":true},"G2":{"F1":"x"}}`
	for _, tc := range []struct {
		name  string
		rule  Rule
		total int64
		lines int
		err   errs.Code
	}{
		{"none", Rule{Kind: RuleNone}, 0, 0, ""},
		{"empty kind is none", Rule{}, 0, 0, ""},
		{"fixed", Rule{Kind: RuleFixed, Amount: 9300}, 9300, 1, ""},
		{"per item", Rule{Kind: RulePer, Amount: 1050, CountPath: "G1.kinder"}, 3150, 1, ""},
		{"per item with base", Rule{Kind: RulePer, Base: 2000, Amount: 1050, CountPath: "G1.kinder"}, 5150, 2, ""},
		{"per single group", Rule{Kind: RulePer, Amount: 700, CountPath: "G2"}, 700, 1, ""},
		{"per absent", Rule{Kind: RulePer, Base: 500, Amount: 700, CountPath: "G9"}, 500, 1, ""},
		{"per field inside repeats", Rule{Kind: RulePer, Amount: 1, CountPath: "G1.kinder.n"}, 3, 1, ""},
		{"table hit", Rule{Kind: RuleTable, Field: "G1.art", Table: map[string]int64{"erteilung": 10000, "verlaengerung": 9300}}, 9300, 1, ""},
		{"table number key", Rule{Kind: RuleTable, Field: "G1.dauer", Table: map[string]int64{"12": 4400, "6": 2200}}, 4400, 1, ""},
		{"table bool key", Rule{Kind: RuleTable, Field: "G1.express", Table: map[string]int64{"true": 3500, "false": 0}}, 3500, 1, ""},
		{"table default", Rule{Kind: RuleTable, Field: "G1.art", Table: map[string]int64{"erteilung": 10000}, Default: 9600}, 9600, 1, ""},
		{"table zero default", Rule{Kind: RuleTable, Field: "G1.art", Table: map[string]int64{"erteilung": 10000}}, 0, 0, ""},
		{"table no default", Rule{Kind: RuleTable, Field: "G1.fehlt", Table: map[string]int64{"a": 1}, NoDefault: true}, 0, 0, errs.Invalid},
		{"minimum", Rule{Kind: RulePer, Amount: 100, CountPath: "G1.kinder", Min: 1000}, 1000, 2, ""},
		{"minimum not reached", Rule{Kind: RulePer, Amount: 1000, CountPath: "G1.kinder", Min: 1000}, 3000, 1, ""},
		{"maximum", Rule{Kind: RulePer, Base: 2000, Amount: 1050, CountPath: "G1.kinder", Max: 4000}, 4000, 1, ""},
		{"overflow", Rule{Kind: RulePer, Amount: math.MaxInt64 / 2, CountPath: "G1.kinder"}, 0, 0, errs.Invalid},
		{"overflow sum", Rule{Kind: RulePer, Base: math.MaxInt64 - 10, Amount: 5, CountPath: "G1.kinder"}, 0, 0, errs.Invalid},
		{"negative", Rule{Kind: RuleFixed, Amount: -1}, 0, 0, errs.Invalid},
		{"min above max", Rule{Kind: RuleFixed, Amount: 1, Min: 10, Max: 5}, 0, 0, errs.Invalid},
		{"unknown kind", Rule{Kind: "prozent"}, 0, 0, errs.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := tc.rule.Compute(instance(t, data))
			if tc.err != "" {
				if errs.CodeOf(err) != tc.err {
					t.Fatalf("err = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Total != tc.total || len(f.Lines) != tc.lines {
				t.Fatalf("total %d with %d lines (%+v), want %d with %d", f.Total, len(f.Lines), f.Lines, tc.total, tc.lines)
			}
			// The breakdown always adds up to the total, in whole cents.
			var sum int64
			for _, l := range f.Lines {
				if l.Single*l.Quantity != l.Total || l.Total < 0 {
					t.Errorf("line %+v does not multiply out", l)
				}
				sum += l.Total
			}
			if sum != f.Total {
				t.Errorf("lines sum to %d, total %d", sum, f.Total)
			}
			items := f.Items("REF-1", map[string]string{"haushaltsstelle": "1.2"})
			if len(items) != len(f.Lines) {
				t.Errorf("%d items for %d lines", len(items), len(f.Lines))
			}
		})
	}
}

// TestCentArithmetic is the case floats get wrong: 0.1 + 0.2 and 3 × 33.33.
func TestCentArithmetic(t *testing.T) {
	f, err := Rule{Kind: RulePer, Base: 10, Amount: 20, CountPath: "a"}.Compute(map[string]any{"a": []any{1.0}})
	if err != nil || f.Total != 30 {
		t.Fatalf("0.10 + 0.20 = %d cents, %v", f.Total, err)
	}
	f, err = Rule{Kind: RulePer, Amount: 3333, CountPath: "a"}.Compute(map[string]any{"a": []any{1.0, 2.0, 3.0}})
	if err != nil || f.Total != 9999 {
		t.Fatalf("3 × 33.33 = %d cents, %v", f.Total, err)
	}
}

func TestRuleJSON(t *testing.T) {
	r := Rule{Kind: RuleTable, Field: "G1.art", Table: map[string]int64{"a": 100}, Default: 50, Min: 10, Label: "Gebühr"}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Rule
	if err := json.Unmarshal(b, &back); err != nil || back.Table["a"] != 100 || back.Default != 50 || back.Min != 10 {
		t.Fatalf("%s → %+v, %v", b, back, err)
	}
}

func TestRequestID(t *testing.T) {
	a, b, c := RequestID("d1", 1), RequestID("d1", 1), RequestID("d1", 2)
	if a != b || a == c || len(a) > 36 || RequestID("d2", 1) == a {
		t.Fatalf("%q %q %q", a, b, c)
	}
}
