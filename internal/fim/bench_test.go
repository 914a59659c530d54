package fim

import "testing"

const benchS121 = "testdata/xdf2/S00000121/S00000121V1.0_xdf2.xml"

// BenchmarkJSONSchemaS00000121 exports the parsed schema with its code lists.
func BenchmarkJSONSchemaS00000121(b *testing.B) {
	doc, err := ParseFile(benchS121)
	if err != nil {
		b.Fatal(err)
	}
	cls := NewCodeListStore()
	if _, _, err := cls.LoadDir("testdata/codelists"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := JSONSchema(doc, cls); err != nil {
			b.Fatal(err)
		}
	}
}
