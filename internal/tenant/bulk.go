package tenant

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strings"

	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
)

// CSVColumns are the columns of a bulk activation file. ars and behoerde
// are required; the others may be left out. An ars ending in "*" ("*",
// "08416*") stands for every Gemeinde of the area under that prefix not
// listed on a line of its own.
var CSVColumns = []string{"ars", "behoerde", "zustellung", "zustellpunkt", "email", "telefon",
	"bearbeitungstage", "oeffnungszeiten", "postfach", "vertrauensniveau"}

// ignoredColumns are accepted in older files but ignored: fees and
// payment are the payment settings of (service, tenant) since 0014.
var ignoredColumns = []string{"gebuehr", "zahlung"}

// MaxCSVLines bounds a bulk file: more than every Gemeinde in Germany.
const MaxCSVLines = 20000

// CSVRow is one parsed line of a bulk activation file.
type CSVRow struct {
	Line int
	In   ActivationInput
}

// ParseCSV reads a bulk activation file: UTF-8 (a byte order mark is
// skipped), a header line naming the columns, separated by ";" (as
// spreadsheet programs write it in German) or ",". Errors name the line.
func ParseCSV(r io.Reader) ([]CSVRow, []LineError) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	first, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, []LineError{{Line: 1, Err: errs.K(errs.Invalid, "tenant.csv.unreadable")}}
	}
	head := first
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	cr := csv.NewReader(br)
	cr.Comma = ','
	if bytes.Count(head, []byte{';'}) > bytes.Count(head, []byte{','}) {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return nil, []LineError{{Line: 1, Err: errs.K(errs.Invalid, "tenant.csv.no_header")}}
	}
	col := map[string]int{}
	var lerrs []LineError
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, c := range append(CSVColumns, ignoredColumns...) {
			known = known || c == h
		}
		if !known {
			lerrs = append(lerrs, LineError{Line: 1, Err: errs.K(errs.Invalid, "tenant.csv.unknown_column", h)})
			continue
		}
		if _, dup := col[h]; dup {
			lerrs = append(lerrs, LineError{Line: 1, Err: errs.K(errs.Invalid, "tenant.csv.duplicate_column", h)})
		}
		col[h] = i
	}
	for _, need := range []string{"ars", "behoerde"} {
		if _, ok := col[need]; !ok {
			lerrs = append(lerrs, LineError{Line: 1, Err: errs.K(errs.Invalid, "tenant.csv.missing_column", need)})
		}
	}
	if len(lerrs) > 0 {
		return nil, lerrs
	}
	var rows []CSVRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			if line < 1 {
				line = 1
			}
			lerrs = append(lerrs, LineError{Line: line, Err: errs.K(errs.Invalid, "tenant.csv.syntax")})
			break
		}
		line, _ := cr.FieldPos(0)
		if len(rows) >= MaxCSVLines {
			lerrs = append(lerrs, LineError{Line: line, Err: errs.K(errs.Invalid, "tenant.csv.too_many", MaxCSVLines)})
			break
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(rec) != len(header) {
			lerrs = append(lerrs, LineError{Line: line, Err: errs.K(errs.Invalid, "tenant.csv.field_count", len(rec), len(header))})
			continue
		}
		get := func(c string) string {
			if i, ok := col[c]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		rows = append(rows, CSVRow{Line: line, In: ActivationInput{
			ARS: get("ars"), Authority: get("behoerde"), Delivery: get("zustellung"), DestinationID: get("zustellpunkt"),
			Fee: get("gebuehr"), PaymentEndpoint: get("zahlung"), ContactEmail: get("email"), ContactPhone: get("telefon"),
			ProcessingDays: get("bearbeitungstage"), OpeningHoursURL: get("oeffnungszeiten"), Postfach: get("postfach"),
			TrustLevel: get("vertrauensniveau"),
		}})
	}
	if len(rows) == 0 && len(lerrs) == 0 {
		lerrs = append(lerrs, LineError{Line: 2, Err: errs.K(errs.Invalid, "tenant.csv.empty")})
	}
	return rows, lerrs
}

// expand replaces lines whose ars ends in "*" with one line per Gemeinde
// of the tenant's area under that prefix that has no line of its own.
func expand(sn *catalog.Snapshot, t Tenant, rows []CSVRow) ([]CSVRow, []LineError) {
	explicit := map[string]bool{}
	for _, r := range rows {
		if !strings.HasSuffix(r.In.ARS, "*") {
			explicit[r.In.ARS] = true
		}
	}
	var out []CSVRow
	var lerrs []LineError
	covered := map[string]bool{}
	for _, r := range rows {
		prefix, wild := strings.CutSuffix(r.In.ARS, "*")
		if !wild {
			out = append(out, r)
			continue
		}
		if prefix == "" {
			prefix = t.ARS
		}
		if t.ARS == "" || !strings.HasPrefix(prefix, t.ARS) && !strings.HasPrefix(t.ARS, prefix) || strings.Trim(prefix, "0123456789") != "" {
			lerrs = append(lerrs, LineError{Line: r.Line, Err: errs.FieldError("ars", "tenant.error.not_in_area", r.In.ARS)})
			continue
		}
		if len(prefix) < len(t.ARS) {
			prefix = t.ARS
		}
		n := 0
		for _, g := range gemeindenIn(sn, prefix) {
			if explicit[g.ARS] || covered[g.ARS] {
				continue
			}
			covered[g.ARS] = true
			in := r.In
			in.ARS = g.ARS
			out = append(out, CSVRow{Line: r.Line, In: in})
			n++
		}
		if n == 0 {
			lerrs = append(lerrs, LineError{Line: r.Line, Err: errs.FieldError("ars", "tenant.error.no_gemeinden", r.In.ARS)})
		}
	}
	return out, lerrs
}

// BulkActivate activates an online service for many Gemeinden at once
// from a CSV file (see ParseCSV and CSVColumns): all lines or, if any line
// is wrong, none, with every wrong line reported.
func (s *Service) BulkActivate(ctx context.Context, actor *identity.Actor, tenantID, slug string, r io.Reader) (int, []LineError, error) {
	if err := s.authorizeManage(actor, tenantID); err != nil {
		return 0, nil, err
	}
	rows, lerrs := ParseCSV(r)
	if len(lerrs) > 0 {
		return 0, lerrs, nil
	}
	t, err := s.Tenant(ctx, tenantID)
	if err != nil {
		return 0, nil, err
	}
	sn, err := s.Catalog.Snapshot(ctx)
	if err != nil {
		return 0, nil, err
	}
	rows, lerrs = expand(sn, t, rows)
	if len(lerrs) > 0 {
		return 0, lerrs, nil
	}
	ins := make([]ActivationInput, len(rows))
	lines := make([]int, len(rows))
	for i, r := range rows {
		ins[i], lines[i] = r.In, r.Line
	}
	acts, lerrs, err := s.activateAll(ctx, actor, tenantID, slug, ins, lines)
	return len(acts), lerrs, err
}
