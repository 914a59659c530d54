package inbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/johnfercher/maroto/v2"
	"github.com/johnfercher/maroto/v2/pkg/components/text"
	"github.com/johnfercher/maroto/v2/pkg/config"
	"github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	"github.com/johnfercher/maroto/v2/pkg/props"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/postfach"
)

// BescheidDoc is what a Bescheid PDF shows.
type BescheidDoc struct {
	Authority string
	Reference string
	Service   string
	Decision  string // "Bewilligung", "Ablehnung", …
	Date      time.Time
	Text      string
}

// RenderBescheid renders the Bescheid as a PDF. The HTML message in the
// Postfach stays the accessible primary form; the PDF is the document to
// keep and print.
func RenderBescheid(d BescheidDoc) ([]byte, error) {
	m := maroto.New(config.NewBuilder().WithLeftMargin(20).WithRightMargin(20).WithTopMargin(20).Build())
	small := props.Text{Size: 9}
	m.AddAutoRow(text.NewCol(12, d.Authority, props.Text{Size: 11, Style: fontstyle.Bold}))
	m.AddAutoRow(text.NewCol(12, "Datum: "+d.Date.In(form.Berlin).Format("02.01.2006"), small))
	m.AddAutoRow(text.NewCol(12, "Vorgangsnummer: "+d.Reference, small))
	m.AddAutoRow(text.NewCol(12, " ", small))
	m.AddAutoRow(text.NewCol(12, "Bescheid – "+d.Decision, props.Text{Size: 15, Style: fontstyle.Bold, Top: 4}))
	m.AddAutoRow(text.NewCol(12, d.Service, props.Text{Size: 11, Top: 2}))
	for _, para := range strings.Split(strings.ReplaceAll(d.Text, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(para) == "" {
			para = " "
		}
		m.AddAutoRow(text.NewCol(12, para, props.Text{Size: 11, Top: 2}))
	}
	m.AddAutoRow(text.NewCol(12, "Dieser Bescheid wurde elektronisch erstellt und über das Postfach zugestellt.", props.Text{Size: 8, Top: 8}))
	doc, err := m.Generate()
	if err != nil {
		return nil, err
	}
	return doc.GetBytes(), nil
}

// Decision is a clerk's decision on a case.
type Decision struct {
	Outcome string // postfach.StateBewilligt, StateAbgelehnt or StateErledigt
	Text    string
	Files   []postfach.NewFile
}

// Outcomes lists the possible decisions.
var Outcomes = []string{postfach.StateBewilligt, postfach.StateAbgelehnt, postfach.StateErledigt}

var outcomeNames = map[string]string{postfach.StateBewilligt: "Bewilligung", postfach.StateAbgelehnt: "Ablehnung", postfach.StateErledigt: "Erledigung"}

// Decide records the decision: it renders the Bescheid PDF, delivers it
// with any further documents to the applicant's Postfach (delivery and
// access are recorded there) and sets the case's state, in that order
// so the applicant sees the Bescheid no later than the state.
func (s *Service) Decide(ctx context.Context, a *identity.Actor, id string, d Decision) (*postfach.Message, error) {
	c, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := authorize(a, c.TenantID, identity.ActionWork); err != nil {
		return nil, err
	}
	name, ok := outcomeNames[d.Outcome]
	if !ok {
		return nil, errs.FieldError("entscheidung", "inbox.error.outcome")
	}
	d.Text = strings.TrimSpace(d.Text)
	if d.Text == "" {
		return nil, errs.FieldError("bescheidtext", "inbox.error.text_missing")
	}
	var authority string
	_ = s.DB.QueryRowContext(ctx, `SELECT name FROM tenants WHERE id = ?`, c.TenantID).Scan(&authority)
	pdf, err := RenderBescheid(BescheidDoc{Authority: authority, Reference: c.Reference, Service: c.Service, Decision: name, Date: s.now(), Text: d.Text})
	if err != nil {
		return nil, fmt.Errorf("inbox: render Bescheid: %w", err)
	}
	if c.External {
		// No Postfach back channel: the clerk downloads the Bescheid
		// (BescheidPDF) and sends it by another way.
		if err := s.SetState(ctx, a, id, d.Outcome); err != nil {
			return nil, err
		}
		return nil, nil
	}
	info, err := s.Postfach.Blobs.Put(ctx, bytes.NewReader(pdf), 0)
	if err != nil {
		return nil, err
	}
	files := append([]postfach.NewFile{{BlobID: info.ID, Name: "Bescheid-" + c.Reference + ".pdf", MediaType: "application/pdf", Size: info.Size, SHA256: info.SHA256}}, d.Files...)
	pc := &postfach.Case{ID: c.ID, Owner: c.Owner, TenantID: c.TenantID, Reference: c.Reference}
	m, err := s.Postfach.SendAs(ctx, a.ID(), pc, postfach.Draft{CaseID: c.ID, Kind: postfach.Bescheid, Subject: "Bescheid – " + name, Body: d.Text, Files: files})
	if err != nil {
		return nil, err
	}
	if err := s.SetState(ctx, a, id, d.Outcome); err != nil {
		return nil, err
	}
	return m, nil
}

// BescheidPDF renders the Bescheid of a decision without sending it, for
// cases without a Postfach back channel.
func (s *Service) BescheidPDF(ctx context.Context, a *identity.Actor, id string, d Decision) ([]byte, error) {
	c, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := authorize(a, c.TenantID, identity.ActionView); err != nil {
		return nil, err
	}
	name, ok := outcomeNames[d.Outcome]
	if !ok {
		return nil, errs.FieldError("entscheidung", "inbox.error.outcome")
	}
	var authority string
	_ = s.DB.QueryRowContext(ctx, `SELECT name FROM tenants WHERE id = ?`, c.TenantID).Scan(&authority)
	return RenderBescheid(BescheidDoc{Authority: authority, Reference: c.Reference, Service: c.Service, Decision: name, Date: s.now(), Text: strings.TrimSpace(d.Text)})
}

// Placeholders are the values a Bescheid template may use: {Vorgangsnummer},
// {Datum}, {Leistung} and every field of the application by its FIM
// name ({Familienname}, {Vorname}, …).
func (s *Service) Placeholders(ctx context.Context, c *Case, sub *form.Submission) map[string]string {
	out := map[string]string{"Vorgangsnummer": c.Reference, "Datum": sub.Submitted.In(form.Berlin).Format("02.01.2006"), "Leistung": c.Service}
	if s.Models == nil {
		return out
	}
	m, err := s.Models(ctx, sub.FormID, sub.Version)
	if err != nil {
		return out
	}
	names := map[string]string{}
	var walk func(n *form.Node)
	walk = func(n *form.Node) {
		if n.IsGroup() {
			for _, ch := range n.Children {
				walk(ch)
			}
			return
		}
		names[n.Key] = n.Element.Name
	}
	for _, p := range m.Pages {
		for _, n := range p.Nodes {
			walk(n)
		}
	}
	var v any
	_ = json.Unmarshal(sub.Data, &v)
	var fill func(key string, v any)
	fill = func(key string, v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, ch := range t {
				fill(k, ch)
			}
		case []any:
			for _, ch := range t {
				fill(key, ch)
			}
		case string:
			if n := names[key]; n != "" {
				if _, dup := out[n]; !dup {
					out[n] = t
				}
			}
		}
	}
	fill("", v)
	return out
}

// FillTemplate replaces {Name} placeholders with values; unknown ones stay.
func FillTemplate(tpl string, values map[string]string) string {
	var b strings.Builder
	for {
		i := strings.Index(tpl, "{")
		if i < 0 {
			b.WriteString(tpl)
			return b.String()
		}
		j := strings.Index(tpl[i:], "}")
		if j < 0 {
			b.WriteString(tpl)
			return b.String()
		}
		b.WriteString(tpl[:i])
		key := tpl[i+1 : i+j]
		if v, ok := values[key]; ok {
			b.WriteString(v)
		} else {
			b.WriteString(tpl[i : i+j+1])
		}
		tpl = tpl[i+j+1:]
	}
}

// Templates are the default Bescheid texts per outcome.
var Templates = map[string]string{
	postfach.StateBewilligt: "Sehr geehrte Antragstellerin, sehr geehrter Antragsteller,\n\nIhr Antrag „{Leistung}“ vom {Datum} (Vorgangsnummer {Vorgangsnummer}) wird bewilligt.\n\nMit freundlichen Grüßen",
	postfach.StateAbgelehnt: "Sehr geehrte Antragstellerin, sehr geehrter Antragsteller,\n\nIhr Antrag „{Leistung}“ vom {Datum} (Vorgangsnummer {Vorgangsnummer}) wird abgelehnt.\n\nBegründung:\n\nRechtsbehelfsbelehrung: Gegen diesen Bescheid kann innerhalb eines Monats nach Bekanntgabe Widerspruch erhoben werden, auch über das Postfach.\n\nMit freundlichen Grüßen",
	postfach.StateErledigt:  "Sehr geehrte Antragstellerin, sehr geehrter Antragsteller,\n\nIhr Anliegen „{Leistung}“ vom {Datum} (Vorgangsnummer {Vorgangsnummer}) ist erledigt.\n\nMit freundlichen Grüßen",
}
