package form

import "testing"

// BenchmarkEvaluateS00000121 evaluates a completely answered Blaue Karte
// application (every optional group, repeats twice): what each page save
// and the check page cost.
func BenchmarkEvaluateS00000121(b *testing.B) {
	m := loadModel(b, s121)
	s := NewState()
	fill(b, m, s, true)
	for b.Loop() {
		if res := m.Evaluate(s); len(res.Errors) > 0 {
			b.Fatal(res.Errors)
		}
	}
}

// BenchmarkValidateS00000121 checks the resulting instance against the
// JSON Schema, as every submission does.
func BenchmarkValidateS00000121(b *testing.B) {
	m := loadModel(b, s121)
	s := NewState()
	fill(b, m, s, true)
	data, err := m.Evaluate(s).JSON()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if p, err := m.Validate(data); err != nil || len(p) > 0 {
			b.Fatal(p, err)
		}
	}
}
