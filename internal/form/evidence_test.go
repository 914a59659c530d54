package form

import "testing"

// The evidence criterion is computed from the form: the upload fields the
// applicant can use and no document asked for on paper.
func TestEvidence(t *testing.T) {
	m := loadModel(t, s121)
	ev := m.Evidence()
	if len(ev.Uploads) == 0 {
		t.Fatal("S00000121 asks for documents (file fields); none found")
	}
	if !ev.AllUploadable() {
		t.Fatalf("S00000121: every file field is an upload field and nothing goes on paper, got %+v", ev)
	}
	// A hidden upload field cannot be used: the criterion fails.
	var file *Node
	m.Root.Walk(func(n *Node) {
		if file == nil && n.IsFile() {
			file = n
		}
	})
	saved := *file.Element
	file.Element.Feldart = "hidden"
	if ev := m.Evidence(); ev.AllUploadable() || len(ev.Blocked) != 1 {
		t.Errorf("hidden upload field: %+v", ev)
	}
	*file.Element = saved
	// A text that asks for a document on paper fails it too.
	file.Element.HilfetextEingabe = "Bitte reichen Sie die Urkunde zusätzlich im Original vorlegen beim Amt ein."
	if ev := m.Evidence(); ev.AllUploadable() || len(ev.Paper) != 1 {
		t.Errorf("paper document: %+v", ev)
	}
	*file.Element = saved
	if !m.Evidence().AllUploadable() {
		t.Error("restored form fails")
	}
}

func TestPaperText(t *testing.T) {
	for s, want := range map[string]bool{
		"Senden Sie den Nachweis per Post an das Amt.":   true,
		"Die Geburtsurkunde ist im Original vorzulegen":  true,
		"Eine Kopie des Originals genügt":                false,
		"Reichen Sie die Unterlagen auf dem Postweg ein": true,
		"Laden Sie den Nachweis als PDF hoch.":           false,
		"Fehlende Unterlagen können Sie NACHREICHEN.":    true,
	} {
		if got := PaperText(s); got != want {
			t.Errorf("PaperText(%q) = %v", s, got)
		}
	}
}
