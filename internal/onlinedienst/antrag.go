package onlinedienst

// Applications (Anträge) in progress and their submission: the steps the
// web pages take, kept here so the handlers stay thin.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/blob"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/fitconnect"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/submission"
)

// Antraege runs applications: drafts, uploads, submission.
type Antraege struct {
	DB       *store.DB
	Registry *Registry
	Drafts   *form.Drafts
	Blobs    blob.Store
	Audit    *audit.Log
	// Delivery routes submitted applications and carries them to the
	// authority through the Zustelldienst.
	Delivery *submission.Delivery
	// MaxUpload caps every uploaded file, whatever the form allows.
	MaxUpload int64
	// Activations, when set, routes activated services by their
	// activation in the Gemeinde (see routing.go).
	Activations ActivationLookup
}

// DefaultMaxUpload is the size limit of a file when the form sets none.
const DefaultMaxUpload = 10 << 20

// DefaultMediaTypes are accepted when a file field names none.
var DefaultMediaTypes = []string{"application/pdf", "image/jpeg", "image/png"}

// Limits returns the size limit and accepted media types of a file field.
func (a *Antraege) Limits(n *form.Node) (int64, []string) {
	limit := a.MaxUpload
	if limit <= 0 {
		limit = DefaultMaxUpload
	}
	if s := n.Element.MaxSize; s != "" {
		if v, err := strconv.ParseInt(s, 10, 64); err == nil && v > 0 && v < limit {
			limit = v
		}
	}
	types := n.Element.MediaTypes
	if len(types) == 0 {
		types = DefaultMediaTypes
	}
	return limit, types
}

// Upload checks a file on its content and stores it for the field at
// ipath, replacing an earlier file. The error is a field error (catalog key)
// when the file is refused.
func (a *Antraege) Upload(ctx context.Context, m *form.Model, dr *form.Draft, ipath, filename string, r io.Reader) error {
	n := m.Node(form.ModelPath(ipath))
	if n == nil || !n.IsFile() {
		return errs.K(errs.BadRequest, "antrag.error.field")
	}
	limit, types := a.Limits(n)
	br := bufio.NewReaderSize(r, 512)
	head, _ := br.Peek(512)
	if len(head) == 0 {
		return errs.FieldError(ipath, "form.error.file_empty")
	}
	mt := Sniff(head)
	if !accepts(types, mt) {
		return errs.FieldError(ipath, "form.error.file_type", TypeNames(types))
	}
	info, err := a.Blobs.Put(ctx, br, limit)
	if errors.Is(err, blob.ErrTooLarge) {
		return errs.FieldError(ipath, "form.error.file_size", HumanSize(limit))
	}
	if err != nil {
		return fmt.Errorf("antrag: store upload: %w", err)
	}
	if old, ok := dr.State.Files[ipath]; ok {
		_ = a.Blobs.Delete(ctx, old.BlobID)
	}
	dr.State.Files[ipath] = form.File{BlobID: info.ID, Name: CleanFilename(filename, mt), MediaType: mt, Size: info.Size, SHA256: info.SHA256}
	return nil
}

// RemoveFile drops the file of a field.
func (a *Antraege) RemoveFile(ctx context.Context, dr *form.Draft, ipath string) {
	if f, ok := dr.State.Files[ipath]; ok {
		delete(dr.State.Files, ipath)
		_ = a.Blobs.Delete(ctx, f.BlobID)
	}
}

// DeleteFiles removes files no longer referenced.
func (a *Antraege) DeleteFiles(ctx context.Context, files []form.File) {
	for _, f := range files {
		_ = a.Blobs.Delete(ctx, f.BlobID)
	}
}

// Sniff names the media type of a file from its first bytes. It knows the
// document and image formats applications carry; anything else is
// application/octet-stream.
func Sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return "application/pdf"
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return "image/tiff"
	case len(head) >= 12 && bytes.Equal(head[:4], []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP")):
		return "image/webp"
	case bytes.HasPrefix(head, []byte("<?xml")):
		return "application/xml"
	}
	ct := http.DetectContentType(head)
	if strings.HasPrefix(ct, "text/plain") {
		return "text/plain"
	}
	return "application/octet-stream"
}

func accepts(types []string, mt string) bool {
	for _, t := range types {
		if strings.EqualFold(strings.TrimSpace(t), mt) {
			return true
		}
	}
	return false
}

// TypeNames names media types the way people know them ("PDF, JPEG").
func TypeNames(types []string) string {
	names := map[string]string{"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG", "image/tiff": "TIFF", "image/webp": "WebP", "application/xml": "XML", "text/plain": "Text"}
	var out []string
	for _, t := range types {
		if n, ok := names[t]; ok {
			out = append(out, n)
		} else {
			out = append(out, t)
		}
	}
	return strings.Join(out, ", ")
}

// HumanSize writes a byte count the German way: "10 MB", "500 KB".
func HumanSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MB"
	case n >= 1<<20:
		return strings.Replace(strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64), ".", ",", 1) + " MB"
	case n >= 1<<10:
		return strconv.FormatInt((n+1023)>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " Byte"
}

// CleanFilename keeps the base name of an uploaded file without control
// characters, at most 120 characters, with an extension matching its type.
func CleanFilename(name, mediaType string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '/' || r == utf8.RuneError || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == ".." {
		name = "datei"
	}
	if r := []rune(name); len(r) > 120 {
		name = string(r[:120])
	}
	want := map[string]string{"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}[mediaType]
	if want != "" {
		ext := strings.ToLower(path.Ext(name))
		if ext != want && !(want == ".jpg" && ext == ".jpeg") {
			name += want
		}
	}
	return name
}

// SubmitOptions are what the submission needs beyond the draft.
type SubmitOptions struct {
	// ARS is the Gemeinde the applicant chose (12 digits); it routes the
	// application to the responsible authority.
	ARS string
	// ReplyEmail is the logged-in applicant's e-mail address, "" if none.
	ReplyEmail string
	// Actor is the audit actor ("person:<id>" or "anonymous").
	Actor string
	// OnBehalfOf and Mandate name the party the actor applied for and the
	// mandate that allowed it; both go into the audit record, so what is
	// done under a mandate carries both identities.
	OnBehalfOf string
	Mandate    string
	// Sections turn the validated instance into the answers shown in the
	// receipt PDF (the web layer formats them as on the pages).
	Sections func(data map[string]any) []submission.Section
	// PaymentInformation is FIT-Connect's paymentInformation of a paid
	// application (payment, issue 8).
	PaymentInformation json.RawMessage
}

// Route finds the destination that receives the service's applications
// from the Gemeinde ars. A service with activations goes where the
// Gemeinde's live activation says (ErrNotOffered without one,
// ErrPaperOnly when it takes paper only); any other service goes to the
// FIT-Connect destination whose regions cover ars. submission.ErrNoDestination
// when no active destination takes it.
func (a *Antraege) Route(ctx context.Context, svc *Service, ars string) (*fitconnect.Destination, error) {
	act, activated, err := a.Placement(ctx, svc, ars)
	if err != nil {
		return nil, err
	}
	if activated {
		return a.routeByActivation(ctx, svc, act)
	}
	return a.Delivery.Route(ctx, svc.LeiKa, ars)
}

// Submit checks the whole application, validates the instance against the
// form's JSON Schema, routes it to the responsible authority, renders the
// receipt PDF and stores the submission, its delivery order (see
// internal/submission) and an audit record in one transaction: once Submit
// returns, the application cannot be lost. It then tries to deliver at
// once; a failure there is left to the delivery worker. Invalid answers
// come back as an Invalid error, a missing destination as
// submission.ErrNoDestination; in both cases the draft is kept.
func (a *Antraege) Submit(ctx context.Context, svc *Service, m *form.Model, dr *form.Draft, opt SubmitOptions) (*form.Submission, error) {
	res := m.Evaluate(dr.State)
	if len(res.Errors) > 0 {
		return nil, errs.K(errs.Invalid, "antrag.error.incomplete")
	}
	data, err := res.JSON()
	if err != nil {
		return nil, err
	}
	probs, err := m.Validate(data)
	if err != nil {
		return nil, err
	}
	if len(probs) > 0 {
		// The runtime only builds valid instances; this is a bug.
		return nil, errs.Wrap(errs.Internal, "antrag.Submit", fmt.Errorf("instance of %s %s fails its schema: %s", m.ID, m.Version, strings.Join(probs, "; ")), "")
	}
	if a.Delivery == nil {
		return nil, errs.Wrap(errs.Internal, "antrag.Submit", errors.New("no delivery configured"), "")
	}
	dest, err := a.Route(ctx, svc, opt.ARS)
	if err != nil {
		return nil, err
	}
	// Routed by an activation: the applicant is told the activation's
	// authority, which the check page named.
	authority := ""
	if act, activated, err := a.Placement(ctx, svc, opt.ARS); err != nil {
		return nil, err
	} else if activated && act != nil {
		authority = act.Authority
	}
	at := a.Drafts.Now().UTC()
	ref, err := form.NewReference(at)
	if err != nil {
		return nil, err
	}
	var sections []submission.Section
	if opt.Sections != nil {
		sections = opt.Sections(res.Data)
	}
	order, err := a.Delivery.Prepare(ctx, submission.Application{
		Reference: ref, Submitted: at, Destination: dest, LeiKa: svc.LeiKa, ServiceName: svc.Title,
		SchemaID: m.Schema.ID, Data: data, Files: dr.State.AllFiles(), Sections: sections, ReplyEmail: opt.ReplyEmail, RegionARS: opt.ARS,
		PaymentInformation: opt.PaymentInformation, // payment (issue 8)
		Authority:          authority,
	})
	if err != nil {
		return nil, err
	}
	actor := opt.Actor
	if actor == "" {
		actor = "anonymous"
	}
	var sub *form.Submission
	err = a.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		sub, err = a.Drafts.SubmitAs(ctx, tx, dr, ref, at, m.Schema.ID, data)
		if err != nil {
			return err
		}
		if err := a.Delivery.Enqueue(ctx, tx, sub.ID, order); err != nil {
			return err
		}
		_, err = a.Audit.Append(ctx, tx, audit.Entry{
			Actor: actor, Action: "submission.received", ObjectType: "submission", ObjectID: sub.ID,
			Details: map[string]string{"service": svc.Slug, "form": m.ID + " " + m.Version, "reference": sub.Reference,
				"attachments": strconv.Itoa(len(sub.Attachments)), "destination": dest.ID,
				"on_behalf_of": opt.OnBehalfOf, "mandate": opt.Mandate},
		})
		return err
	})
	if err != nil {
		a.Delivery.Discard(ctx, order)
		return nil, err
	}
	// Committed: from here on the worker owns the delivery. One attempt
	// now, bounded, so the receipt usually shows the case id.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	_ = a.Delivery.DeliverNow(dctx, sub.ID)
	return sub, nil
}
