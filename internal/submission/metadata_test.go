package submission

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

func validMetadata() Metadata {
	return Metadata{
		Schema: MetadataSchemaURI,
		ContentStructure: ContentStructure{
			Data: DataRef{Hash: SHA512([]byte(`{}`)), SubmissionSchema: SchemaRef{SchemaURI: "https://schema.fitko.de/fim/s00000094_1.0.schema.json", MimeType: "application/json"}},
			Attachments: []Attachment{
				{AttachmentID: newUUID(), Hash: SHA512([]byte("%PDF-")), Purpose: PurposeForm, Filename: "Antrag.pdf", MimeType: "application/pdf"},
				{AttachmentID: newUUID(), Hash: SHA512([]byte("x")), Purpose: PurposeAttachment, Filename: "Nachweis.png", MimeType: "image/png"},
			},
		},
		ReplyChannel: &ReplyChannel{EMail: &EMailChannel{Address: "erika@example.org"}},
		Author:       &Author{Name: "ozgo", Product: Product{Name: "ozgo", Version: "dev", Manufacturer: "ozgo-Projekt"}},
	}
}

func TestValidateMetadata(t *testing.T) {
	cases := []struct {
		name   string
		change func(m *Metadata)
		ok     bool
	}{
		{"valid", func(*Metadata) {}, true},
		{"no attachments", func(m *Metadata) { m.ContentStructure.Attachments = []Attachment{} }, true},
		{"no reply channel, no author", func(m *Metadata) { m.ReplyChannel, m.Author = nil, nil }, true},
		{"wrong $schema", func(m *Metadata) { m.Schema = "https://example.org/metadata.json" }, false},
		{"hash not sha512 hex", func(m *Metadata) { m.ContentStructure.Data.Hash.Content = "abc" }, false},
		{"unknown purpose", func(m *Metadata) { m.ContentStructure.Attachments[0].Purpose = "anlage" }, false},
		{"attachment id not a uuid", func(m *Metadata) {
			m.ContentStructure.Attachments[1].AttachmentID = "nicht-eine-uuid-nicht-eine-uuid-xx"
		}, false},
		{"bad e-mail", func(m *Metadata) { m.ReplyChannel.EMail.Address = "keine adresse" }, false},
		{"schema mime type", func(m *Metadata) { m.ContentStructure.Data.SubmissionSchema.MimeType = "text/plain" }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := validMetadata()
			c.change(&m)
			b, _ := json.Marshal(m)
			err := ValidateMetadata(b)
			if (err == nil) != c.ok {
				t.Fatalf("ValidateMetadata = %v, want ok=%v\n%s", err, c.ok, b)
			}
			_, encErr := m.Encode()
			if (encErr == nil) != c.ok {
				t.Fatalf("Encode = %v, want ok=%v", encErr, c.ok)
			}
			if encErr != nil && strings.Contains(encErr.Error(), "@") {
				t.Error("the error of Encode quotes the data")
			}
		})
	}
	if ValidateMetadata([]byte("{")) == nil {
		t.Error("broken JSON accepted")
	}
}

func TestSHA512AndUUID(t *testing.T) {
	if h := SHA512([]byte("abc")); h.Type != "sha512" || !strings.HasPrefix(h.Content, "ddaf35a193617aba") || len(h.Content) != 128 {
		t.Errorf("SHA512: %+v", h)
	}
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		u := newUUID()
		if !re.MatchString(u) || seen[u] {
			t.Fatalf("newUUID: %s", u)
		}
		seen[u] = true
	}
}

func TestReceiptPDF(t *testing.T) {
	r := Receipt{Reference: "2026-ABCD-EFGH", Submitted: time.Date(2026, 11, 26, 11, 5, 0, 0, time.UTC), Authority: "Bürgerbüro Tübingen",
		Service: "Beschäftigung einer schwangeren Frau mitteilen", LeiKa: "99006028000000",
		Sections: []Section{{Title: "Arbeitgeber", Rows: []Row{{Level: 3, Heading: true, Label: "Anschrift"}, {Level: 4, Label: "Straße", Value: "Hauptstraße 1 – Hinterhaus „Süd“"}}}},
		Files:    []string{"nachweis.pdf"}}
	texts := Texts{Title: "Eingangsbestätigung", Reference: "Vorgangsnummer", Submitted: "Eingegangen am", Authority: "Zuständige Stelle",
		Service: "Onlinedienst", LeiKa: "LeiKa", Answers: "Ihre Angaben", Files: "Dateien", NoFiles: "Keine.", Footer: "Automatisch erstellt."}
	a, err := ReceiptPDF(r, texts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(a, []byte("%PDF-")) || !bytes.Contains(a, []byte("%%EOF")) {
		t.Fatal("not a PDF")
	}
	r.Files, r.Sections = nil, nil
	if _, err := ReceiptPDF(r, texts); err != nil {
		t.Fatal(err)
	}
}
