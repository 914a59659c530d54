package submission

import (
	"fmt"
	"time"

	"github.com/johnfercher/maroto/v2"
	"github.com/johnfercher/maroto/v2/pkg/components/text"
	"github.com/johnfercher/maroto/v2/pkg/config"
	"github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	"github.com/johnfercher/maroto/v2/pkg/props"

	"github.com/ozgo/ozgo/internal/form"
)

// Receipt is what the receipt PDF shows: the same PDF goes to the
// authority as the attachment with purpose "form".
type Receipt struct {
	Reference string
	Submitted time.Time
	Authority string // the destination's name
	Service   string // title of the online service
	LeiKa     string // LeiKa key of the Leistung, "" if none
	Sections  []Section
	Files     []string // names of the uploaded files
}

// Section is one page of the form with its answers.
type Section struct {
	Title string
	Rows  []Row
}

// Row is one answer, or the heading of a group (Heading, no Value).
type Row struct {
	Level   int
	Heading bool
	Label   string
	Value   string
}

// Texts are the fixed words of the receipt, from the i18n catalog (the
// caller resolves them, so this package needs no catalog).
type Texts struct {
	Title, Reference, Submitted, Authority, Service, LeiKa, Answers, Files, NoFiles, Footer string
}

// ReceiptPDF renders the receipt as a PDF, dated with the submission time.
// The rendering is not byte-for-byte reproducible (the PDF library writes
// the time of rendering as ModDate), so the pipeline renders it once,
// stores it, and sends and serves that one copy.
func ReceiptPDF(r Receipt, t Texts) ([]byte, error) {
	when := r.Submitted.In(form.Berlin)
	cfg := config.NewBuilder().
		WithPageNumber().
		WithLeftMargin(20).WithRightMargin(20).WithTopMargin(15).
		WithTitle(t.Title+" "+r.Reference, true).
		WithSubject(r.Service, true).
		WithCreator("ozgo", false).
		WithCreationDate(when).
		Build()
	m := maroto.New(cfg)
	bold := props.Text{Style: fontstyle.Bold, Size: 10}
	normal := props.Text{Size: 10}
	m.AddAutoRow(text.NewCol(12, t.Title, props.Text{Style: fontstyle.Bold, Size: 16, Bottom: 4}))
	kv := func(k, v string) {
		m.AddAutoRow(text.NewCol(4, k, bold), text.NewCol(8, v, normal))
	}
	kv(t.Reference, r.Reference)
	kv(t.Submitted, when.Format("02.01.2006, 15:04")+" Uhr")
	kv(t.Service, r.Service)
	if r.LeiKa != "" {
		kv(t.LeiKa, r.LeiKa)
	}
	kv(t.Authority, r.Authority)
	m.AddAutoRow(text.NewCol(12, t.Answers, props.Text{Style: fontstyle.Bold, Size: 13, Top: 6, Bottom: 2}))
	for _, s := range r.Sections {
		m.AddAutoRow(text.NewCol(12, s.Title, props.Text{Style: fontstyle.Bold, Size: 11, Top: 3, Bottom: 1}))
		for _, row := range s.Rows {
			indent := float64(max(row.Level-3, 0)) * 4
			if row.Heading {
				m.AddAutoRow(text.NewCol(12, row.Label, props.Text{Style: fontstyle.BoldItalic, Size: 10, Left: indent, Top: 1}))
				continue
			}
			m.AddAutoRow(text.NewCol(5, row.Label, props.Text{Size: 10, Left: indent}), text.NewCol(7, row.Value, normal))
		}
	}
	m.AddAutoRow(text.NewCol(12, t.Files, props.Text{Style: fontstyle.Bold, Size: 13, Top: 6, Bottom: 2}))
	if len(r.Files) == 0 {
		m.AddAutoRow(text.NewCol(12, t.NoFiles, normal))
	}
	for _, f := range r.Files {
		m.AddAutoRow(text.NewCol(12, "– "+f, normal))
	}
	m.AddAutoRow(text.NewCol(12, t.Footer, props.Text{Size: 8, Top: 8}))
	doc, err := m.Generate()
	if err != nil {
		return nil, fmt.Errorf("submission: receipt pdf: %w", err)
	}
	return doc.GetBytes(), nil
}
