package submission

// Delivery: the outbox that carries submitted applications to the
// authority.
//
// Design (durability). The receipt may only be shown for an application
// that cannot be lost. So the local submission (sealed answers, the list
// of uploaded files), the receipt PDF's blob and a delivery order ("send
// submission X to destination D") are committed in ONE transaction
// (Enqueue, called from onlinedienst.Antraege.Submit). Everything that
// can fail for outside reasons — the destination being switched off, its
// key being replaced, the Zustelldienst being busy — happens after the
// commit, in a worker that retries with exponential backoff until it
// succeeds; an order is never given up (an authority that is switched off
// for a week gets the application when it is back; one whose destination is
// deleted or decommissioned gets it through the destination that serves the
// Leistung in the applicant's Gemeinde then, see reroute). The backlog is
// on /metrics (Collectors). Right after the commit
// the web request tries once synchronously (DeliverNow) so the receipt can
// usually show the Zustelldienst's case id at once.
//
// Exactly once. The worker opens the FIT-Connect submission first and
// records its id on the order before it uploads and submits anything. A
// retry asks the Zustelldienst for that submission's status: submitted (or
// further) means a previous attempt succeeded and only the bookkeeping is
// repeated; incomplete means the parts are uploaded again (an upload
// replaces the earlier one) and submitted; deleted or unknown (the
// Zustelldienst expires incomplete submissions) means a fresh one is
// opened. A crash between opening and recording leaves an incomplete
// submission that the Zustelldienst expires; it was never submitted, so
// the authority sees each application once.
//
// Claiming. Every ozgo process runs the worker (Run). Due orders are
// leased with locked_until in a transaction; on PostgreSQL the SELECT uses
// FOR UPDATE SKIP LOCKED so parallel workers take different orders, on
// SQLite the transaction holds the single write lock. A worker that dies
// leaves its orders to others when the lease ends.
//
// What stays. The sealed answers stay in the submissions table: the
// receipt page shows them to the applicant, who may come back to it. The
// uploaded files are deleted from the blob store once delivered (the
// receipt shows only their names); the receipt PDF stays for download.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/blob"
	"github.com/ozgo/ozgo/internal/buildinfo"
	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/fitconnect"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/i18n"
	"github.com/ozgo/ozgo/internal/store"
)

// Delivery states.
const (
	StatusPending   = "pending"
	StatusDelivered = "delivered"
)

// Lease and backoff of the worker.
const (
	lease      = 2 * time.Minute
	backoffMin = 5 * time.Second
	backoffMax = 30 * time.Minute
	pollEvery  = 2 * time.Second
)

// Delivery hands submitted applications to the Zustelldienst.
type Delivery struct {
	DB     *store.DB
	Keys   *crypt.Keyring
	Blobs  blob.Store
	Drafts *form.Drafts
	FC     *fitconnect.Service
	Audit  *audit.Log
	I18n   *i18n.Catalog
	Log    *slog.Logger
	// PublicURL is the platform's base URL for the metadata's author;
	// "" leaves it out.
	PublicURL string
	// Now is the clock; tests replace it.
	Now func() time.Time

	wakeOnce sync.Once
	wake     chan struct{}
}

func (d *Delivery) now() time.Time {
	if d.Now != nil {
		return d.Now().UTC()
	}
	return time.Now().UTC()
}

func (d *Delivery) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.Default()
}

func (d *Delivery) t(key string, args ...any) string {
	if d.I18n == nil {
		return key
	}
	return d.I18n.T(i18n.Default, key, args...)
}

// ErrNoDestination says that no active destination receives the Leistung
// in the applicant's region: the Leistung is not online there yet.
var ErrNoDestination = errs.K(errs.Conflict, "antrag.error.no_destination")

// Route finds the destination for a LeiKa key and a Gemeinde. No LeiKa
// key, or no active destination, is ErrNoDestination.
func (d *Delivery) Route(ctx context.Context, leika, ars string) (*fitconnect.Destination, error) {
	if leika == "" || ars == "" {
		return nil, ErrNoDestination
	}
	dest, err := d.FC.Route(ctx, leika, ars)
	if errs.Is(err, errs.NotFound) {
		return nil, ErrNoDestination
	}
	return dest, err
}

// Application is what Prepare needs of a submitted application.
type Application struct {
	Reference   string
	Submitted   time.Time
	Destination *fitconnect.Destination
	LeiKa       string
	ServiceName string // title of the online service
	SchemaID    string // $id of the form's JSON Schema
	Data        []byte // the validated JSON instance
	Files       []form.File
	Sections    []Section // the answers for the PDF
	// ReplyEmail is the applicant's e-mail address when known ("" if not).
	ReplyEmail string
	// RegionARS is the applicant's Gemeinde; a delivery whose destination
	// is retired before it took the application is routed again with it.
	RegionARS string
	// PaymentInformation goes into the metadata when the application was
	// paid (payment, issue 8).
	PaymentInformation json.RawMessage
	// Authority names the receiving authority to the applicant (receipt
	// page and PDF) when an activation names it; "" names the
	// destination (AuthorityName).
	Authority string
}

// Order is a prepared delivery: the receipt PDF is stored, the metadata
// built and validated. Enqueue commits it; Discard drops it when the
// transaction fails.
type Order struct {
	plan        plan
	destination string
	authority   string
	pdfBlob     string
	PDF         []byte
}

// plan is the sealed part of an order.
type plan struct {
	ServiceURN  string          `json:"serviceUrn"`
	LeiKa       string          `json:"leika"`
	RegionARS   string          `json:"regionArs"` // the applicant's Gemeinde, for routing again
	ServiceName string          `json:"serviceName"`
	Metadata    json.RawMessage `json:"metadata"`
	Parts       []part          `json:"parts"` // attachments in metadata order
}

type part struct {
	AttachmentID string `json:"attachmentId"`
	BlobID       string `json:"blobId"`
	MimeType     string `json:"mimeType"`
	Uploaded     bool   `json:"uploaded"` // a file of the applicant (deleted after delivery)
}

// AuthorityName is how a destination is named to the applicant.
func AuthorityName(dest *fitconnect.Destination) string {
	n := dest.Contact.LegalName
	if dest.Contact.Unit != "" {
		n += ", " + dest.Contact.Unit
	}
	return n
}

// Prepare renders and stores the receipt PDF and builds the metadata of an
// application. It touches no table, so it runs before the transaction.
func (d *Delivery) Prepare(ctx context.Context, a Application) (*Order, error) {
	files := slices.Clone(a.Files)
	slices.SortFunc(files, func(x, y form.File) int { return strings.Compare(x.Name, y.Name) })
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	authority := a.Authority
	if authority == "" {
		authority = AuthorityName(a.Destination)
	}
	pdf, err := ReceiptPDF(Receipt{Reference: a.Reference, Submitted: a.Submitted, Authority: authority, Service: a.ServiceName,
		LeiKa: a.LeiKa, Sections: a.Sections, Files: names}, d.Texts())
	if err != nil {
		return nil, err
	}
	info, err := d.Blobs.Put(ctx, bytes.NewReader(pdf), 0)
	if err != nil {
		return nil, fmt.Errorf("submission: store receipt pdf: %w", err)
	}
	o := &Order{destination: a.Destination.ID, authority: authority, pdfBlob: info.ID, PDF: pdf}
	fail := func(err error) (*Order, error) {
		d.Discard(ctx, o)
		return nil, err
	}
	meta := Metadata{
		Schema: MetadataSchemaURI,
		ContentStructure: ContentStructure{
			Data: DataRef{Hash: SHA512(a.Data), SubmissionSchema: SchemaRef{SchemaURI: a.SchemaID, MimeType: "application/json"}},
		},
		Author: &Author{Name: "ozgo", Description: "Onlinedienste der Plattform ozgo", URL: d.PublicURL,
			Product: Product{Name: "ozgo", Version: buildinfo.Version(), Manufacturer: "ozgo-Projekt (Open Source)"}},
	}
	if a.ReplyEmail != "" {
		meta.ReplyChannel = &ReplyChannel{EMail: &EMailChannel{Address: a.ReplyEmail}}
	}
	meta.PaymentInformation = a.PaymentInformation // payment (issue 8)
	pdfID := newUUID()
	meta.ContentStructure.Attachments = append(meta.ContentStructure.Attachments, Attachment{AttachmentID: pdfID, Hash: SHA512(pdf),
		Purpose: PurposeForm, Filename: "Antrag-" + a.Reference + ".pdf", MimeType: "application/pdf",
		Description: d.t("submission.pdf.description")})
	o.plan.Parts = append(o.plan.Parts, part{AttachmentID: pdfID, BlobID: info.ID, MimeType: "application/pdf"})
	for _, f := range files {
		content, err := d.readBlob(ctx, f.BlobID)
		if err != nil {
			return fail(err)
		}
		id := newUUID()
		mt := f.MediaType
		if mt == "" {
			mt = "application/octet-stream"
		}
		meta.ContentStructure.Attachments = append(meta.ContentStructure.Attachments, Attachment{AttachmentID: id, Hash: SHA512(content),
			Purpose: PurposeAttachment, Filename: f.Name, MimeType: mt})
		o.plan.Parts = append(o.plan.Parts, part{AttachmentID: id, BlobID: f.BlobID, MimeType: mt, Uploaded: true})
	}
	if meta.ReplyChannel != nil {
		if b, err := meta.Encode(); err != nil || b == nil {
			// An address the schema's email format refuses: leave the
			// channel out rather than refuse the application.
			meta.ReplyChannel = nil
		}
	}
	doc, err := meta.Encode()
	if err != nil {
		return fail(errs.Wrap(errs.Internal, "submission.Prepare", err, ""))
	}
	o.plan.Metadata = doc
	o.plan.ServiceURN = fitconnect.LeikaPrefix + a.LeiKa
	o.plan.LeiKa, o.plan.RegionARS = a.LeiKa, a.RegionARS
	o.plan.ServiceName = a.ServiceName
	return o, nil
}

// Discard drops what Prepare stored, when the submission did not commit.
func (d *Delivery) Discard(ctx context.Context, o *Order) {
	if o != nil && o.pdfBlob != "" {
		_ = d.Blobs.Delete(context.WithoutCancel(ctx), o.pdfBlob)
	}
}

func planAD(subID string) []byte { return []byte("ozgo delivery plan v1 " + subID) }

// Enqueue records the order for submission subID inside tx, the
// transaction that stores the submission.
func (d *Delivery) Enqueue(ctx context.Context, tx *store.Tx, subID string, o *Order) error {
	raw, err := json.Marshal(o.plan)
	if err != nil {
		return err
	}
	sealed, err := d.Keys.Seal(raw, planAD(subID))
	if err != nil {
		return err
	}
	now := form.FormatTime(d.now())
	_, err = tx.ExecContext(ctx, `INSERT INTO deliveries (submission_id, destination_id, authority, plan, form_pdf, status,
		fc_submission_id, fc_case_id, attempts, run_at, locked_until, last_error, created_at, delivered_at)
		VALUES (?, ?, ?, ?, ?, ?, '', '', 0, ?, '', '', ?, '')`,
		subID, o.destination, o.authority, sealed, o.pdfBlob, StatusPending, now, now)
	if err != nil {
		return fmt.Errorf("submission: enqueue delivery: %w", err)
	}
	// The case belongs to the tenant of its destination: its clerks work
	// it and answer through the Postfach.
	if _, err := tx.ExecContext(ctx, `UPDATE submissions SET tenant_id = COALESCE((SELECT tenant_id FROM fc_destinations WHERE id = ?), '') WHERE id = ?`,
		o.destination, subID); err != nil {
		return fmt.Errorf("submission: case tenant: %w", err)
	}
	return nil
}

// Texts returns the fixed words of the receipt PDF.
func (d *Delivery) Texts() Texts {
	return Texts{
		Title: d.t("submission.pdf.title"), Reference: d.t("submission.pdf.reference"), Submitted: d.t("submission.pdf.submitted"),
		Authority: d.t("submission.pdf.authority"), Service: d.t("submission.pdf.service"), LeiKa: d.t("submission.pdf.leika"),
		Answers: d.t("submission.pdf.answers"), Files: d.t("submission.pdf.files"), NoFiles: d.t("submission.pdf.no_files"),
		Footer: d.t("submission.pdf.footer"),
	}
}

// Info is the state of a delivery as the receipt shows it.
type Info struct {
	Authority    string
	Delivered    bool
	DeliveredAt  time.Time
	SubmissionID string // FIT-Connect submission id, once delivered
	CaseID       string // FIT-Connect case id, once delivered
	HasPDF       bool
}

// Status returns the delivery of a submission; NotFound when it has none
// (submitted before the pipeline existed).
func (d *Delivery) Status(ctx context.Context, subID string) (Info, error) {
	var in Info
	var status, at, pdf string
	err := d.DB.QueryRowContext(ctx, `SELECT authority, status, delivered_at, fc_submission_id, fc_case_id, form_pdf FROM deliveries WHERE submission_id = ?`,
		subID).Scan(&in.Authority, &status, &at, &in.SubmissionID, &in.CaseID, &pdf)
	if errors.Is(err, sql.ErrNoRows) {
		return Info{}, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return Info{}, fmt.Errorf("submission: delivery status: %w", err)
	}
	in.Delivered = status == StatusDelivered
	in.HasPDF = pdf != ""
	if in.Delivered {
		in.DeliveredAt, _ = time.Parse(form.TimeFormat, at)
	} else {
		in.SubmissionID, in.CaseID = "", ""
	}
	return in, nil
}

// CaseOrigin returns the online service and the applicant's Gemeinde (ARS,
// "" when unknown) of one of ozgo's own submissions, for counters that
// must not hold personal data. ok is false for a case that is not one of
// ozgo's submissions (one that an outside sender delivered).
func (d *Delivery) CaseOrigin(ctx context.Context, q store.Querier, subID string) (service, ars string, ok bool, err error) {
	var sealed []byte
	err = q.QueryRowContext(ctx, `SELECT s.service, COALESCE(d.plan, ?) FROM submissions s LEFT JOIN deliveries d ON d.submission_id = s.id WHERE s.id = ?`,
		[]byte{}, subID).Scan(&service, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("submission: case origin: %w", err)
	}
	if len(sealed) > 0 {
		raw, err := d.Keys.Open(sealed, planAD(subID))
		if err != nil {
			return "", "", false, fmt.Errorf("submission: open plan: %w", err)
		}
		var p plan
		if err := json.Unmarshal(raw, &p); err != nil {
			return "", "", false, err
		}
		ars = p.RegionARS
	}
	return service, ars, true, nil
}

// PDF returns the receipt PDF of a submission. The caller checks that the
// visitor may see the submission.
func (d *Delivery) PDF(ctx context.Context, subID string) ([]byte, error) {
	var id string
	err := d.DB.QueryRowContext(ctx, `SELECT form_pdf FROM deliveries WHERE submission_id = ?`, subID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && id == "") {
		return nil, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return nil, err
	}
	return d.readBlob(ctx, id)
}

func (d *Delivery) readBlob(ctx context.Context, id string) ([]byte, error) {
	rc, _, err := d.Blobs.Open(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("submission: open blob: %w", err)
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// order is a claimed delivery.
type order struct {
	subID, dest, fcSub, fcCase string
	attempts                   int
	sealed                     []byte
}

func (d *Delivery) signal() chan struct{} {
	d.wakeOnce.Do(func() { d.wake = make(chan struct{}, 1) })
	return d.wake
}

// Wake makes a sleeping worker of this process look for work at once.
func (d *Delivery) Wake() {
	select {
	case d.signal() <- struct{}{}:
	default:
	}
}

// Run delivers due orders until ctx ends. Every process runs it; see the
// package comment for how workers share the work.
func (d *Delivery) Run(ctx context.Context) {
	wake := d.signal()
	for {
		if _, err := d.RunOnce(ctx); err != nil && ctx.Err() == nil {
			d.log().Warn("delivery worker", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-time.After(pollEvery):
		}
	}
}

// RunOnce claims the due orders and tries each once. It returns how many
// it delivered.
func (d *Delivery) RunOnce(ctx context.Context) (int, error) {
	done := 0
	for {
		list, err := d.claim(ctx, "", 10)
		if err != nil || len(list) == 0 {
			return done, err
		}
		for _, o := range list {
			if d.attempt(ctx, o) == nil {
				done++
			}
		}
	}
}

// DeliverNow tries to deliver one submission at once (after its commit,
// within the request). A failure is left to the worker; the error is only
// for tests and logs.
func (d *Delivery) DeliverNow(ctx context.Context, subID string) error {
	list, err := d.claim(ctx, subID, 1)
	if err != nil || len(list) == 0 {
		return err
	}
	return d.attempt(ctx, list[0])
}

// claim leases due pending orders (only subID's when given).
func (d *Delivery) claim(ctx context.Context, subID string, n int) ([]order, error) {
	now := form.FormatTime(d.now())
	q := `SELECT submission_id, destination_id, fc_submission_id, fc_case_id, attempts, plan FROM deliveries
		WHERE status = ? AND run_at <= ? AND locked_until <= ?`
	args := []any{StatusPending, now, now}
	if subID != "" {
		q += ` AND submission_id = ?`
		args = append(args, subID)
	} else {
		// A read first: an idle worker should not take the write lock.
		var one int
		err := d.DB.QueryRowContext(ctx, q+` LIMIT 1`, args...).Scan(new(string), new(string), new(string), new(string), &one, new([]byte))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
	q += ` ORDER BY run_at, submission_id LIMIT ` + strconv.Itoa(n)
	var out []order
	err := d.DB.InTx(ctx, func(tx *store.Tx) error {
		out = out[:0]
		qq := q
		if tx.Engine() == store.Postgres {
			qq += ` FOR UPDATE SKIP LOCKED`
		}
		rows, err := tx.QueryContext(ctx, qq, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var o order
			if err := rows.Scan(&o.subID, &o.dest, &o.fcSub, &o.fcCase, &o.attempts, &o.sealed); err != nil {
				rows.Close()
				return err
			}
			out = append(out, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		until := form.FormatTime(d.now().Add(lease))
		for _, o := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET locked_until = ? WHERE submission_id = ?`, until, o.subID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// attempt tries one order and records the outcome.
func (d *Delivery) attempt(ctx context.Context, o order) error {
	err := d.deliver(ctx, &o)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return err
	}
	o.attempts++
	wait := backoffMin << min(o.attempts-1, 20)
	if wait > backoffMax || wait <= 0 {
		wait = backoffMax
	}
	code := string(errs.CodeOf(err))
	// Ids and error codes only: the error text may quote a destination's
	// answer, never personal data, but stays out of the table anyway.
	d.log().Warn("delivery failed; will retry", "submission", o.subID, "destination", o.dest, "attempts", o.attempts, "code", code, "retry_in", wait.String(), "err", err)
	_, uerr := d.DB.ExecContext(context.WithoutCancel(ctx), `UPDATE deliveries SET attempts = ?, run_at = ?, locked_until = '', last_error = ?
		WHERE submission_id = ? AND status = ?`, o.attempts, form.FormatTime(d.now().Add(wait)), code, o.subID, StatusPending)
	if uerr != nil {
		d.log().Error("delivery: record failure", "submission", o.subID, "err", uerr)
	}
	return err
}

// deliver runs the steps of one order; see the package comment.
func (d *Delivery) deliver(ctx context.Context, o *order) error {
	raw, err := d.Keys.Open(o.sealed, planAD(o.subID))
	if err != nil {
		return fmt.Errorf("submission: open plan: %w", err)
	}
	var p plan
	if err := json.Unmarshal(raw, &p); err != nil {
		return err
	}
	if o.fcSub != "" {
		st, err := d.FC.InternalStatus(ctx, o.fcSub)
		switch {
		case errs.Is(err, errs.NotFound) || st == fitconnect.StatusDeleted:
			o.fcSub, o.fcCase = "", "" // expired before we submitted: open anew
		case err != nil:
			return err
		case st != fitconnect.StatusIncomplete:
			return d.finish(ctx, o, p) // an earlier attempt submitted it
		}
	}
	if o.fcSub == "" {
		ids := make([]string, len(p.Parts))
		for i, pt := range p.Parts {
			ids[i] = pt.AttachmentID
		}
		c, err := d.FC.OpenInternal(ctx, o.dest, p.ServiceURN, p.ServiceName, ids)
		if err != nil {
			if moved, rerr := d.reroute(ctx, o, p); rerr != nil || !moved {
				return err
			}
			if c, err = d.FC.OpenInternal(ctx, o.dest, p.ServiceURN, p.ServiceName, ids); err != nil {
				return err
			}
		}
		if _, err := d.DB.ExecContext(ctx, `UPDATE deliveries SET fc_submission_id = ?, fc_case_id = ? WHERE submission_id = ? AND status = ?`,
			c.SubmissionID, c.CaseID, o.subID, StatusPending); err != nil {
			return err
		}
		o.fcSub, o.fcCase = c.SubmissionID, c.CaseID
	}
	key, err := d.FC.InternalEncryptionKey(ctx, o.dest)
	if err != nil {
		return err
	}
	sub, err := d.Drafts.OpenSubmission(ctx, o.subID)
	if err != nil {
		return err
	}
	encData, err := fitconnect.Encrypt(sub.Data, key, "application/json")
	if err != nil {
		return err
	}
	encMeta, err := fitconnect.Encrypt(p.Metadata, key, "application/json")
	if err != nil {
		return err
	}
	atts := make([]fitconnect.SendAttachment, 0, len(p.Parts))
	for _, pt := range p.Parts {
		content, err := d.readBlob(ctx, pt.BlobID)
		if err != nil {
			return err
		}
		jwe, err := fitconnect.Encrypt(content, key, pt.MimeType)
		if err != nil {
			return err
		}
		atts = append(atts, fitconnect.SendAttachment{ID: pt.AttachmentID, JWE: jwe})
	}
	if err := d.FC.CompleteInternal(ctx, o.fcSub, atts, encMeta, encData); err != nil {
		// A conflict may mean a parallel attempt got there first (after a
		// lease ran out); the status tells.
		if st, serr := d.FC.InternalStatus(ctx, o.fcSub); serr == nil && st != fitconnect.StatusIncomplete && st != fitconnect.StatusDeleted {
			return d.finish(ctx, o, p)
		}
		return err
	}
	return d.finish(ctx, o, p)
}

// reroute moves an order whose destination is gone for good (deleted or
// decommissioned) to the destination that now serves the Leistung in the
// applicant's Gemeinde. A destination that is only switched off (inactive)
// keeps its orders: it is expected back. It reports whether it moved.
func (d *Delivery) reroute(ctx context.Context, o *order, p plan) (bool, error) {
	dest, err := d.FC.InternalDestination(ctx, o.dest)
	switch {
	case errs.Is(err, errs.NotFound):
	case err != nil:
		return false, err
	case dest.Status != fitconnect.DestinationDecommissioned:
		return false, nil
	}
	if p.RegionARS == "" {
		return false, nil
	}
	next, err := d.Route(ctx, p.LeiKa, p.RegionARS)
	if err != nil || next.ID == o.dest {
		return false, err
	}
	res, err := d.DB.ExecContext(ctx, `UPDATE deliveries SET destination_id = ?, authority = ? WHERE submission_id = ? AND status = ? AND destination_id = ?`,
		next.ID, AuthorityName(next), o.subID, StatusPending, o.dest)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return false, nil
	}
	d.log().Info("delivery routed again: destination retired", "submission", o.subID, "from", o.dest, "to", next.ID)
	o.dest = next.ID
	return true, nil
}

// finish records a delivered order and deletes the uploaded files, which
// now live (encrypted) at the Zustelldienst.
func (d *Delivery) finish(ctx context.Context, o *order, p plan) error {
	ctx = context.WithoutCancel(ctx)
	var changed bool
	err := d.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = ?, fc_submission_id = ?, fc_case_id = ?, delivered_at = ?, locked_until = '', last_error = ''
			WHERE submission_id = ? AND status = ?`, StatusDelivered, o.fcSub, o.fcCase, form.FormatTime(d.now()), o.subID, StatusPending)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		if changed = n == 1; !changed {
			return nil
		}
		_, err = d.Audit.Append(ctx, tx, audit.Entry{Actor: audit.System, Action: "submission.delivered", ObjectType: "submission", ObjectID: o.subID,
			Details: map[string]string{"destination": o.dest, "fitconnect_submission": o.fcSub, "case": o.fcCase}})
		return err
	})
	if err != nil {
		return err
	}
	if changed && !d.workedInOzgo(ctx, o.dest) {
		for _, pt := range p.Parts {
			if pt.Uploaded {
				_ = d.Blobs.Delete(ctx, pt.BlobID)
			}
		}
	}
	return nil
}

// Backlog reports the orders not yet delivered and the age of the oldest,
// for monitoring: a growing backlog means a destination does not take
// applications (switched off, key replaced, Zustelldienst failing).
func (d *Delivery) Backlog(ctx context.Context) (pending int, oldest time.Duration, err error) {
	var first sql.NullString
	err = d.DB.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at) FROM deliveries WHERE status = ?`, StatusPending).Scan(&pending, &first)
	if err != nil {
		return 0, 0, fmt.Errorf("submission: backlog: %w", err)
	}
	if first.Valid && first.String != "" {
		if t, perr := time.Parse(form.TimeFormat, first.String); perr == nil {
			oldest = d.now().Sub(t)
		}
	}
	return pending, oldest, nil
}

// Collectors are the Prometheus metrics of the delivery backlog.
func (d *Delivery) Collectors() []prometheus.Collector {
	backlog := func() (int, time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		n, age, err := d.Backlog(ctx)
		if err != nil {
			return -1, -1
		}
		return n, age
	}
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ozgo_submission_deliveries_pending",
			Help: "Submitted applications not yet handed to the Zustelldienst (-1: unknown).",
		}, func() float64 { n, _ := backlog(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ozgo_submission_delivery_oldest_pending_seconds",
			Help: "Age of the oldest submitted application not yet handed to the Zustelldienst (0: none; -1: unknown).",
		}, func() float64 { _, age := backlog(); return age.Seconds() }),
	}
}

// workedInOzgo reports whether dest is worked in ozgo's own clerk
// workspace (it has a key there): its clerks read the applicant's uploads
// from ozgo, where they stay sealed, so they are not deleted on delivery.
func (d *Delivery) workedInOzgo(ctx context.Context, dest string) bool {
	var n int
	if err := d.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbox_keys WHERE destination_id = ?`, dest).Scan(&n); err != nil {
		return true // when in doubt, keep the files
	}
	return n > 0
}
