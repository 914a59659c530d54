package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ozgo/ozgo/internal/demo"
	"github.com/ozgo/ozgo/internal/fitconnect"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

// TestWorkspaceAnswersZustelldienst: a destination worked in the built-in
// workspace answers the Zustelldienst: accept-submission when a clerk
// starts working a case, reject-submission for a formal rejection; the
// applicant's files stay available to the clerk after delivery.
func TestWorkspaceAnswersZustelldienst(t *testing.T) {
	db := dbtest.SQLite(t)
	ui, h := antragUI(t, db)
	ctx := context.Background()
	fc := ui.Antraege.Delivery.FC
	ui.Inbox.FC = fc
	dest := routeDest(t, ui)
	clerk := staffCookie(t, ui, "clerk@tue.example", "tuebingen", identity.RoleClerk)
	storeDestKeys(t, ui, dest.ID, "tuebingen", "clerk@tue.example")
	submit := func(subject string) (caseID, fcCase string) {
		citizen := loginAs(t, ui, subject, identity.Hoch)
		b := &browser{t: t, h: h, session: citizen, ort: &http.Cookie{Name: ortCookie, Value: demo.DemoGemeinde}}
		fillAll(t, ui, b, "blaue-karte-eu")
		if w := b.post("/onlinedienste/blaue-karte-eu/antrag/absenden", url.Values{}); w.Code != http.StatusSeeOther {
			t.Fatalf("submit: %d", w.Code)
		}
		if _, err := ui.Antraege.Delivery.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `SELECT d.submission_id, d.fc_case_id FROM deliveries d JOIN submissions s ON s.id = d.submission_id
			WHERE d.status = 'delivered' AND s.owner = (SELECT 'person:' || id FROM persons WHERE subject = ?)`, subject).Scan(&caseID, &fcCase); err != nil {
			t.Fatalf("not delivered: %v", err)
		}
		return caseID, fcCase
	}
	events := func(fcCase string) string {
		p := fitconnect.Principal{ClientID: "t", TenantID: "tuebingen", Scopes: []string{fitconnect.ScopeSubscribe + dest.ID}}
		toks, _, err := fc.EventLog(ctx, p, fcCase, fitconnect.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tok := range toks {
			for _, ev := range []string{"accept-submission", "reject-submission", "submit-submission"} {
				if claims := decodePayload(t, tok); strings.Contains(claims, "/events/"+ev) {
					names = append(names, ev)
				}
			}
		}
		return strings.Join(names, ",")
	}

	caseID, fcCase := submit("erste")
	// The uploads stay for the clerk, and the form PDF is there.
	if w := send(h, "GET", "/sachbearbeitung/"+caseID+"/datei/0", nil, clerk); w.Code != 200 || !strings.HasPrefix(w.Body.String(), "%PDF") {
		t.Errorf("file after delivery: %d", w.Code)
	}
	if w := send(h, "GET", "/sachbearbeitung/"+caseID+"/antrag.pdf", nil, clerk); w.Code != 200 || !strings.HasPrefix(w.Body.String(), "%PDF") {
		t.Errorf("form PDF: %d", w.Code)
	}
	if w := send(h, "POST", "/sachbearbeitung/"+caseID+"/stand", url.Values{"stand": {"in_bearbeitung"}}, clerk); w.Code != http.StatusSeeOther {
		t.Fatalf("state: %d", w.Code)
	}
	if got := events(fcCase); !strings.Contains(got, "accept-submission") {
		t.Errorf("events after working the case: %s", got)
	}
	// The workspace copied the submission before accepting it, mapped to
	// ozgo's own submission (whose status monitor and Postfach stay), and
	// lists it once.
	var copied string
	if err := db.QueryRowContext(ctx, `SELECT submission_id FROM inbox_cases WHERE id = ?`, caseID).Scan(&copied); err != nil || copied != caseID {
		t.Errorf("copy of the own submission: %q %v", copied, err)
	}
	var ref string
	if err := db.QueryRowContext(ctx, `SELECT reference FROM submissions WHERE id = ?`, caseID).Scan(&ref); err != nil {
		t.Fatal(err)
	}
	if w := send(h, "GET", "/sachbearbeitung?stand=alle", nil, clerk); strings.Count(w.Body.String(), ">"+ref+"<") != 1 {
		t.Errorf("the own case is not listed exactly once")
	}
	// The clerk reads the workspace's copy with the tenant key, not the
	// citizen-side record under the master key: with that record made
	// unreadable, the case, its file and its PDF still open.
	var data, atts []byte
	if err := db.QueryRowContext(ctx, `SELECT data, attachments FROM submissions WHERE id = ?`, caseID).Scan(&data, &atts); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE submissions SET data = ?, attachments = ? WHERE id = ?`, []byte("x"), []byte("x"), caseID); err != nil {
		t.Fatal(err)
	}
	if w := send(h, "GET", "/sachbearbeitung/"+caseID, nil, clerk); w.Code != 200 || !strings.Contains(w.Body.String(), ref) {
		t.Errorf("case from the copy: %d", w.Code)
	}
	if w := send(h, "GET", "/sachbearbeitung/"+caseID+"/datei/0", nil, clerk); w.Code != 200 || !strings.HasPrefix(w.Body.String(), "%PDF") {
		t.Errorf("file from the copy: %d", w.Code)
	}
	if w := send(h, "GET", "/sachbearbeitung/"+caseID+"/antrag.pdf", nil, clerk); w.Code != 200 || !strings.HasPrefix(w.Body.String(), "%PDF") {
		t.Errorf("form PDF from the copy: %d", w.Code)
	}
	if w := send(h, "GET", "/sachbearbeitung/"+caseID+"/daten.json", nil, clerk); w.Code != 200 || !json.Valid(w.Body.Bytes()) {
		t.Errorf("data from the copy: %d", w.Code)
	}
	if _, err := db.ExecContext(ctx, `UPDATE submissions SET data = ?, attachments = ? WHERE id = ?`, data, atts, caseID); err != nil {
		t.Fatal(err)
	}
	// Accepted: no formal rejection any more.
	if w := send(h, "POST", "/sachbearbeitung/"+caseID+"/zurueckweisen", url.Values{"grund": {"falsch"}}, clerk); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("reject after accept: %d", w.Code)
	}

	case2, fcCase2 := submit("zweite")
	if w := send(h, "POST", "/sachbearbeitung/"+case2+"/zurueckweisen", url.Values{"grund": {""}}, clerk); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("reject without reason: %d", w.Code)
	}
	if w := send(h, "POST", "/sachbearbeitung/"+case2+"/zurueckweisen", url.Values{"grund": {"Zuständig ist die Ausländerbehörde des Landkreises."}}, clerk); w.Code != http.StatusSeeOther {
		t.Fatalf("reject: %d %s", w.Code, w.Body.String())
	}
	if got := events(fcCase2); !strings.Contains(got, "reject-submission") {
		t.Errorf("events after rejecting: %s", got)
	}
}

func decodePayload(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %s", tok)
	}
	b, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.PS512})
	if err != nil {
		t.Fatal(err)
	}
	return string(b.UnsafePayloadWithoutVerification())
}

// storeDestKeys makes dest a destination of the tenant's workspace: its
// private keys (the test fixture's) sealed under the tenant key, which
// the staff account email (password "ein-langes-passwort") unlocks.
func storeDestKeys(t *testing.T, ui *UI, dest, tenant, email string) {
	t.Helper()
	ctx := context.Background()
	enc, sig := fixtureKeys(t)
	encJWK, err := jose.JSONWebKey{Key: enc, KeyID: "test-enc-1", Algorithm: "RSA-OAEP-256", Use: "enc"}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	sigJWK, err := jose.JSONWebKey{Key: sig, KeyID: "test-sig-1", Algorithm: "PS512", Use: "sig"}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	key, err := ui.Identity.Service.UnlockWithPassword(ctx, email, "ein-langes-passwort")
	if err != nil {
		t.Fatal(err)
	}
	if err := ui.Inbox.StoreKeys(ctx, "system", key, dest, tenant, encJWK, sigJWK); err != nil {
		t.Fatal(err)
	}
}
