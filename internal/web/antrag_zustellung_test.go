package web

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/demo"
	"github.com/ozgo/ozgo/internal/fim"
	"github.com/ozgo/ozgo/internal/fitconnect"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
	"github.com/ozgo/ozgo/internal/submission"
)

// testOwner is the API client that owns the test destination; as owner it
// may also pick submissions up.
var testOwner = fitconnect.Principal{ClientID: "test-tuebingen", TenantID: "tuebingen", Scopes: []string{fitconnect.ScopeCreateDestination}}

var (
	regionsOnce sync.Once
	regionsSub  []catalog.Region
	otherOrt    string // a Gemeinde near Tübingen without a destination
	keysOnce    sync.Once
	testEncKey  *rsa.PrivateKey
	testSigKey  *rsa.PrivateKey
)

// testRegions loads the regions of the Landkreis Tübingen (and its
// parents) into db, enough to choose a place, and returns the catalog.
func testRegions(t testing.TB, db *store.DB) *catalog.Service {
	t.Helper()
	regionsOnce.Do(func() {
		all, err := catalog.ParseRegions(catalog.EmbeddedRegions())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range all {
			if r.ARS == "08" || r.ARS == "084" || strings.HasPrefix(r.ARS, "08416") {
				regionsSub = append(regionsSub, r)
				if r.Ebene == catalog.Gemeinde && r.ARS != demo.DemoGemeinde && otherOrt == "" {
					otherOrt = r.ARS
				}
			}
		}
	})
	st := catalog.NewStore(db)
	if _, err := st.ImportRegions(context.Background(), regionsSub, nil); err != nil {
		t.Fatal(err)
	}
	if otherOrt == "" {
		t.Fatal("no second Gemeinde in the Landkreis Tübingen")
	}
	return catalog.NewService(st)
}

// fixtureKeys reads the two RSA-4096 test keys of the fitconnect package.
func fixtureKeys(t testing.TB) (enc, sig *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		raw, err := os.ReadFile("../fitconnect/testdata/test-keys.pem")
		if err != nil {
			return
		}
		var ks []*rsa.PrivateKey
		for {
			var b *pem.Block
			if b, raw = pem.Decode(raw); b == nil {
				break
			}
			if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
				ks = append(ks, k)
			}
		}
		if len(ks) >= 2 {
			testEncKey, testSigKey = ks[0], ks[1]
		}
	})
	if testEncKey == nil {
		t.Fatal("../fitconnect/testdata/test-keys.pem: two RSA keys expected")
	}
	return testEncKey, testSigKey
}

// testDestination creates the active destination of the Bürgerbüro
// Tübingen (Test) for all demo online services in Tübingen.
func testDestination(t testing.TB, fc *fitconnect.Service) *fitconnect.Destination {
	t.Helper()
	enc, sig := fixtureKeys(t)
	var svcs []fitconnect.DestinationService
	seen := map[string]int{}
	for _, s := range demo.OnlineServices {
		id := fitconnect.LeikaPrefix + s.LeiKa
		sc := fitconnect.SubmissionSchema{MimeType: "application/json", SchemaURI: fim.SchemaID(s.FormID, s.FormVersion)}
		if i, ok := seen[id]; ok {
			svcs[i].SubmissionSchemas = append(svcs[i].SubmissionSchemas, sc)
			continue
		}
		seen[id] = len(svcs)
		svcs = append(svcs, fitconnect.DestinationService{Identifier: id, Regions: []string{"DE" + demo.DemoGemeinde}, SubmissionSchemas: []fitconnect.SubmissionSchema{sc}})
	}
	ek, sk := fitconnect.PublicJWK(&enc.PublicKey, "test-enc-1", fitconnect.AlgKeyWrap), fitconnect.PublicJWK(&sig.PublicKey, "test-sig-1", fitconnect.AlgSign)
	ctx := context.Background()
	d, err := fc.CreateDestination(ctx, testOwner, fitconnect.DestinationInput{
		Contact:  &fitconnect.ContactInformation{LegalName: "Bürgerbüro Tübingen (Test)", Address: "Am Markt 1, 72070 Tübingen", Phone: "+49 7071 0", Email: "test@tuebingen.example"},
		Services: svcs, EncryptionKid: &ek.Kid, EncryptionPublicKey: &ek, SigningPublicKey: &sk, MetadataVersions: []string{"2.1.0"},
	})
	if err != nil {
		t.Fatal(err)
	}
	setDestinationStatus(t, fc, d.ID, fitconnect.DestinationActive)
	return d
}

func setDestinationStatus(t testing.TB, fc *fitconnect.Service, id string, st fitconnect.DestinationStatus) {
	t.Helper()
	if _, err := fc.PatchDestination(context.Background(), testOwner, id, fitconnect.DestinationInput{Status: &st}); err != nil {
		t.Fatal(err)
	}
}

// decrypt opens a JWE with the destination's private key, as a subscriber
// does, and returns the plaintext and its cty.
func decrypt(t *testing.T, jwe string) ([]byte, string) {
	t.Helper()
	enc, _ := fixtureKeys(t)
	obj, err := jose.ParseEncrypted(jwe, []jose.KeyAlgorithm{jose.RSA_OAEP_256}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		t.Fatal(err)
	}
	if obj.Header.KeyID != "test-enc-1" {
		t.Errorf("kid %q", obj.Header.KeyID)
	}
	plain, err := obj.Decrypt(enc)
	if err != nil {
		t.Fatal(err)
	}
	cty, _ := obj.Header.ExtraHeaders["cty"].(string)
	return plain, cty
}

// checkDelivered picks up the FIT-Connect submission of the application
// with reference ref as the destination would, checks every part and
// returns the metadata.
func checkDelivered(t *testing.T, ui *UI, db *store.DB, ref string, m *form.Model) submission.Metadata {
	t.Helper()
	ctx := context.Background()
	var status, fcSub, dest string
	err := db.QueryRowContext(ctx, `SELECT d.status, d.fc_submission_id, d.destination_id FROM deliveries d JOIN submissions s ON s.id = d.submission_id WHERE s.reference = ?`,
		ref).Scan(&status, &fcSub, &dest)
	if err != nil || status != submission.StatusDelivered || fcSub == "" {
		t.Fatalf("delivery: %q %q %v", status, fcSub, err)
	}
	fc := ui.Antraege.Delivery.FC
	sub, err := fc.GetSubmission(ctx, testOwner, fcSub)
	if err != nil {
		t.Fatal(err)
	}
	metaRaw, cty := decrypt(t, sub.EncryptedMetadata)
	if cty != "application/json" {
		t.Errorf("metadata cty %q", cty)
	}
	if err := submission.ValidateMetadata(metaRaw); err != nil {
		t.Fatalf("metadata: %v\n%s", err, metaRaw)
	}
	var meta submission.Metadata
	if err := json.Unmarshal(metaRaw, &meta); err != nil {
		t.Fatal(err)
	}
	data, _ := decrypt(t, sub.EncryptedData)
	if probs, err := m.Validate(data); err != nil || len(probs) > 0 {
		t.Fatalf("data fails the form's schema: %v %v", probs, err)
	}
	if meta.ContentStructure.Data.Hash != submission.SHA512(data) {
		t.Error("data hash does not match")
	}
	if meta.ContentStructure.Data.SubmissionSchema.SchemaURI != m.Schema.ID {
		t.Errorf("schemaUri %q, want %q", meta.ContentStructure.Data.SubmissionSchema.SchemaURI, m.Schema.ID)
	}
	if len(sub.Attachments) != len(meta.ContentStructure.Attachments) {
		t.Fatalf("%d attachments announced, %d in the metadata", len(sub.Attachments), len(meta.ContentStructure.Attachments))
	}
	forms := 0
	for _, a := range meta.ContentStructure.Attachments {
		jwe, err := fc.GetAttachment(ctx, testOwner, fcSub, a.AttachmentID)
		if err != nil {
			t.Fatal(err)
		}
		plain, cty := decrypt(t, string(jwe))
		if submission.SHA512(plain) != a.Hash {
			t.Errorf("attachment %s: hash does not match", a.Filename)
		}
		if cty != a.MimeType {
			t.Errorf("attachment %s: cty %q, mimeType %q", a.Filename, cty, a.MimeType)
		}
		if a.Purpose == submission.PurposeForm {
			forms++
			if !bytes.HasPrefix(plain, []byte("%PDF-")) || a.MimeType != "application/pdf" {
				t.Error("the form attachment is not a PDF")
			}
		}
	}
	if forms != 1 {
		t.Errorf("%d form attachments", forms)
	}
	// Delivered once.
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM fc_submissions WHERE status <> 'incomplete' AND id = ?`, fcSub).Scan(&n); err != nil || n != 1 {
		t.Errorf("fc submissions: %d %v", n, err)
	}
	return meta
}

// fillAll answers every page of svc in b and returns the model.
func fillAll(t *testing.T, ui *UI, b *browser, slug string) *form.Model {
	t.Helper()
	ctx := context.Background()
	svc, err := ui.Antraege.Registry.Get(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ui.Antraege.Registry.Model(ctx, svc.FormID, svc.FormVersion)
	if err != nil {
		t.Fatal(err)
	}
	w := b.post("/onlinedienste/"+slug+"/antrag", url.Values{})
	next := w.Header().Get("Location")
	for i := range m.Pages {
		w = b.get(next)
		vals, files := fillPage(t, m, w.Body.String())
		w = b.postMultipart(next, vals, files)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("page %d: %d", i+1, w.Code)
		}
		next = w.Header().Get("Location")
	}
	return m
}

// No destination for the chosen place: the check page says so, submitting
// is refused with a clear message, the draft stays.
func TestAntragNoDestination(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ui, h := antragUI(t, db)
		dest := routeDest(t, ui)
		const slug = "mutterschutz-benachrichtigung"
		b := &browser{t: t, h: h, ort: &http.Cookie{Name: ortCookie, Value: otherOrt}}
		fillAll(t, ui, b, slug)
		check := "/onlinedienste/" + slug + "/antrag/pruefen"
		// The place page says why an application needs the place and leads
		// back to it.
		w := b.get("/ort?zurueck=" + url.QueryEscape(check))
		if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, "Dafür brauchen wir Ihre Gemeinde") || !strings.Contains(body, "Zurück zum Antrag") {
			t.Fatalf("place page for an application: %d", w.Code)
		}
		w = b.get(check)
		body := w.Body.String()
		if w.Code != 200 || !strings.Contains(body, "Noch nicht online verfügbar") || strings.Contains(body, "Antrag verbindlich absenden") {
			t.Fatalf("check page elsewhere: %d", w.Code)
		}
		checkPage(t, body)
		w = b.post("/onlinedienste/"+slug+"/antrag/absenden", url.Values{})
		if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "noch nicht online gestellt werden") || !strings.Contains(w.Body.String(), "<title>Fehler:") {
			t.Fatalf("submit elsewhere: %d", w.Code)
		}
		// In Tübingen it works, but not while the destination is inactive.
		b.ort.Value = demo.DemoGemeinde
		setDestinationStatus(t, ui.Antraege.Delivery.FC, dest.ID, fitconnect.DestinationInactive)
		if w := b.post("/onlinedienste/"+slug+"/antrag/absenden", url.Values{}); w.Code != http.StatusConflict {
			t.Fatalf("submit to an inactive destination: %d", w.Code)
		}
		var n int
		if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM submissions`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("submissions: %d %v", n, err)
		}
		setDestinationStatus(t, ui.Antraege.Delivery.FC, dest.ID, fitconnect.DestinationActive)
		if w := b.get(check); w.Code != 200 || !strings.Contains(w.Body.String(), "Antrag verbindlich absenden") {
			t.Fatalf("draft lost: %d", w.Code)
		}
		if w := b.post("/onlinedienste/"+slug+"/antrag/absenden", url.Values{}); w.Code != http.StatusSeeOther {
			t.Fatalf("submit: %d", w.Code)
		}
	})
}

// The outbox: a delivery that fails (destination switched off after the
// application was accepted) is retried with backoff and succeeds once the
// destination is back, exactly once — also when the worker crashed after
// the Zustelldienst committed but before the order was marked.
func TestDeliveryRetry(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ui, h := antragUI(t, db)
		fc := ui.Antraege.Delivery.FC
		dest := routeDest(t, ui)
		ctx := context.Background()
		now := time.Now()
		dl := ui.Antraege.Delivery
		dl.Now = func() time.Time { return now }
		const slug = "blaue-karte-eu"
		b := &browser{t: t, h: h, ort: &http.Cookie{Name: ortCookie, Value: demo.DemoGemeinde}}
		m := fillAll(t, ui, b, slug)
		ck, _ := readAntragCookie(httpRequestWith(b.cookie))
		dr, err := ui.Antraege.Drafts.Load(ctx, ck.ID, ck.Secret)
		if err != nil {
			t.Fatal(err)
		}
		svc, _ := ui.Antraege.Registry.Get(ctx, slug)
		res := m.Evaluate(dr.State)
		data, err := res.JSON()
		if err != nil {
			t.Fatal(err)
		}
		// Accepted while the destination was active ...
		order, err := dl.Prepare(ctx, submission.Application{Reference: "2026-TEST-0001", Submitted: now, Destination: dest, LeiKa: svc.LeiKa,
			ServiceName: svc.Title, SchemaID: m.Schema.ID, Data: data, Files: dr.State.AllFiles()})
		if err != nil {
			t.Fatal(err)
		}
		var sub *form.Submission
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			if sub, err = ui.Antraege.Drafts.SubmitAs(ctx, tx, dr, "2026-TEST-0001", now, m.Schema.ID, data); err != nil {
				return err
			}
			return dl.Enqueue(ctx, tx, sub.ID, order)
		}); err != nil {
			t.Fatal(err)
		}
		// ... switched off before delivery: the attempt fails, the order waits.
		setDestinationStatus(t, fc, dest.ID, fitconnect.DestinationInactive)
		if n, _ := dl.RunOnce(ctx); n != 0 {
			t.Fatalf("delivered to an inactive destination: %d", n)
		}
		var attempts int
		var status, lastErr string
		if err := db.QueryRowContext(ctx, `SELECT attempts, status, last_error FROM deliveries WHERE submission_id = ?`, sub.ID).Scan(&attempts, &status, &lastErr); err != nil {
			t.Fatal(err)
		}
		if attempts != 1 || status != submission.StatusPending || lastErr == "" {
			t.Fatalf("after a failure: attempts %d status %s error %q", attempts, status, lastErr)
		}
		if n, age, err := dl.Backlog(ctx); n != 1 || age < 0 || err != nil {
			t.Errorf("backlog: %d %v %v", n, age, err)
		}
		setDestinationStatus(t, fc, dest.ID, fitconnect.DestinationActive)
		if n, _ := dl.RunOnce(ctx); n != 0 {
			t.Fatal("retried before the backoff")
		}
		now = now.Add(time.Minute)
		if n, err := dl.RunOnce(ctx); n != 1 || err != nil {
			t.Fatalf("retry: %d %v", n, err)
		}
		if n, _ := dl.RunOnce(ctx); n != 0 {
			t.Fatal("delivered twice")
		}
		if n, _, err := dl.Backlog(ctx); n != 0 || err != nil {
			t.Errorf("backlog after delivery: %d %v", n, err)
		}
		if err := dl.DeliverNow(ctx, sub.ID); err != nil {
			t.Fatal(err)
		}
		_ = checkDelivered(t, ui, db, "2026-TEST-0001", m)
		// The uploaded files are gone from ozgo's blob store; the PDF stays.
		for _, f := range sub.Attachments {
			if _, err := ui.Antraege.Blobs.Stat(ctx, f.BlobID); err == nil {
				t.Errorf("uploaded file %s kept after delivery", f.Name)
			}
		}
		if pdf, err := dl.PDF(ctx, sub.ID); err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Errorf("receipt pdf after delivery: %v", err)
		}
		// A worker that crashed after the Zustelldienst committed: the
		// order is pending again, the next attempt only does the
		// bookkeeping.
		if _, err := db.ExecContext(ctx, `UPDATE deliveries SET status = 'pending', run_at = '' WHERE submission_id = ?`, sub.ID); err != nil {
			t.Fatal(err)
		}
		if n, err := dl.RunOnce(ctx); n != 1 || err != nil {
			t.Fatalf("after a crash: %d %v", n, err)
		}
		var fcSubs int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM fc_submissions WHERE destination_id = ?`, dest.ID).Scan(&fcSubs); err != nil || fcSubs != 1 {
			t.Fatalf("fc submissions: %d %v", fcSubs, err)
		}
	})
}

func httpRequestWith(c *http.Cookie) *http.Request {
	r, _ := http.NewRequest("GET", "/", nil)
	r.AddCookie(c)
	return r
}

// routeDest is the test destination antragUI created.
func routeDest(t *testing.T, ui *UI) *fitconnect.Destination {
	t.Helper()
	d, err := ui.Antraege.Delivery.Route(context.Background(), demo.OnlineServices[0].LeiKa, demo.DemoGemeinde)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Workers in parallel (two processes, say) share the orders: each is
// delivered once.
func TestDeliveryParallelWorkers(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ui, _ := antragUI(t, db)
		dl := ui.Antraege.Delivery
		dest := routeDest(t, ui)
		ctx := context.Background()
		svc := demo.OnlineServices[2]
		const orders = 6
		for i := range orders {
			dr, _, err := ui.Antraege.Drafts.Create(ctx, "", svc.Slug, svc.FormID, svc.FormVersion)
			if err != nil {
				t.Fatal(err)
			}
			ref := "2026-PAR" + string(rune('A'+i)) + "-0000"
			data := []byte(`{"n":` + string(rune('0'+i)) + `}`)
			o, err := dl.Prepare(ctx, submission.Application{Reference: ref, Submitted: time.Now(), Destination: dest, LeiKa: svc.LeiKa,
				ServiceName: svc.Title, SchemaID: fim.SchemaID(svc.FormID, svc.FormVersion), Data: data})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				sub, err := ui.Antraege.Drafts.SubmitAs(ctx, tx, dr, ref, time.Now(), fim.SchemaID(svc.FormID, svc.FormVersion), data)
				if err != nil {
					return err
				}
				return dl.Enqueue(ctx, tx, sub.ID, o)
			}); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		counts := make([]int, 2)
		for w := range counts {
			wg.Go(func() {
				n, err := dl.RunOnce(ctx)
				if err != nil {
					t.Error(err)
				}
				counts[w] = n
			})
		}
		wg.Wait()
		if counts[0]+counts[1] != orders {
			t.Errorf("delivered %v, want %d in all", counts, orders)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM fc_submissions WHERE destination_id = ? AND status = 'submitted'`, dest.ID).Scan(&n); err != nil || n != orders {
			t.Errorf("fc submissions: %d %v", n, err)
		}
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'`).Scan(&n); err != nil || n != orders {
			t.Errorf("delivered orders: %d %v", n, err)
		}
	})
}

// A destination retired for good before it took an application: the order
// goes to the destination that now serves the Leistung in that Gemeinde.
func TestDeliveryReroute(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ui, _ := antragUI(t, db)
		dl, fc := ui.Antraege.Delivery, ui.Antraege.Delivery.FC
		old := routeDest(t, ui)
		ctx := context.Background()
		now := time.Now()
		dl.Now = func() time.Time { return now }
		svc := demo.OnlineServices[2]
		dr, _, err := ui.Antraege.Drafts.Create(ctx, "", svc.Slug, svc.FormID, svc.FormVersion)
		if err != nil {
			t.Fatal(err)
		}
		schema := fim.SchemaID(svc.FormID, svc.FormVersion)
		o, err := dl.Prepare(ctx, submission.Application{Reference: "2026-MOVE-0001", Submitted: time.Now(), Destination: old, LeiKa: svc.LeiKa,
			ServiceName: svc.Title, SchemaID: schema, Data: []byte(`{}`), RegionARS: demo.DemoGemeinde})
		if err != nil {
			t.Fatal(err)
		}
		var subID string
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			sub, err := ui.Antraege.Drafts.SubmitAs(ctx, tx, dr, "2026-MOVE-0001", time.Now(), schema, []byte(`{}`))
			if err != nil {
				return err
			}
			subID = sub.ID
			return dl.Enqueue(ctx, tx, sub.ID, o)
		}); err != nil {
			t.Fatal(err)
		}
		setDestinationStatus(t, fc, old.ID, fitconnect.DestinationDecommissioned)
		// Nothing serves Tübingen now: the order waits.
		if n, _ := dl.RunOnce(ctx); n != 0 {
			t.Fatal("delivered without a destination")
		}
		next := testDestination(t, fc)
		now = now.Add(time.Minute) // past the backoff
		if err := dl.DeliverNow(ctx, subID); err != nil {
			t.Fatalf("after a new destination: %v", err)
		}
		var dest, status string
		if err := db.QueryRowContext(ctx, `SELECT destination_id, status FROM deliveries WHERE submission_id = ?`, subID).Scan(&dest, &status); err != nil {
			t.Fatal(err)
		}
		if dest != next.ID || status != submission.StatusDelivered {
			t.Errorf("order at %s (%s), want %s delivered", dest, status, next.ID)
		}
		// What the statistics count a decision under: the service and the
		// applicant's Gemeinde, from the sealed plan, without personal data.
		slug, ars, ok, err := dl.CaseOrigin(ctx, db, subID)
		if err != nil || !ok || slug != svc.Slug || ars != demo.DemoGemeinde {
			t.Errorf("CaseOrigin = %q %q %v %v", slug, ars, ok, err)
		}
		if _, _, ok, err := dl.CaseOrigin(ctx, db, "kein-antrag"); ok || err != nil {
			t.Errorf("CaseOrigin of an unknown case: %v %v", ok, err)
		}
	})
}
