package web

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/demo"
	"github.com/ozgo/ozgo/internal/fitconnect"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/inbox"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

// Distinctive values of the external application: none of them may be
// found in the database in plaintext.
const (
	extFamily     = "Zwetschgenbaum"
	extConcern    = "Sondernutzung-XQZ-4711-Marktplatz"
	extAttachment = "Nachweis-Inhalt-7781-Lageplan"
	extFormPDF    = "%PDF-1.4 Antrag-Formular-9932"
)

// sendExternal submits an application to dest as an independent
// FIT-Connect sender would: its own API client with a send scope, the
// payloads encrypted with go-jose for the destination's public key as
// published by the Zustelldienst. It returns the submission id.
func sendExternal(t *testing.T, fc *fitconnect.Service, dest *fitconnect.Destination) string {
	t.Helper()
	ctx := context.Background()
	nc, err := fc.CreateClient(ctx, "system", "Onlinedienst eines anderen Herstellers", "", []string{fitconnect.ScopeSendRegion + "DE" + demo.DemoGemeinde})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := fc.IssueToken(ctx, nc.ClientID, nc.ClientSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := fc.Authenticate(tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := fc.GetKey(ctx, dest.ID, dest.EncryptionKid)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(pub)
	if err != nil {
		t.Fatal(err)
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		t.Fatal(err)
	}
	encrypt := func(plain []byte, cty string) string {
		enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: jwk.Key, KeyID: jwk.KeyID},
			(&jose.EncrypterOptions{}).WithContentType(jose.ContentType(cty)))
		if err != nil {
			t.Fatal(err)
		}
		obj, err := enc.Encrypt(plain)
		if err != nil {
			t.Fatal(err)
		}
		s, err := obj.CompactSerialize()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	const formAtt, fileAtt = "5b1c6f0e-2a59-4c84-9d7e-0f3b3c1a0001", "5b1c6f0e-2a59-4c84-9d7e-0f3b3c1a0002"
	c, err := fc.CreateSubmission(ctx, p, fitconnect.CreateSubmission{DestinationID: dest.ID,
		ServiceType:          fitconnect.ServiceType{Identifier: dest.Services[0].Identifier, Name: "Sondernutzungserlaubnis"},
		AnnouncedAttachments: []string{formAtt, fileAtt}})
	if err != nil {
		t.Fatal(err)
	}
	if err := fc.PutAttachment(ctx, p, c.SubmissionID, formAtt, encrypt([]byte(extFormPDF), "application/pdf")); err != nil {
		t.Fatal(err)
	}
	if err := fc.PutAttachment(ctx, p, c.SubmissionID, fileAtt, encrypt([]byte(extAttachment), "text/plain")); err != nil {
		t.Fatal(err)
	}
	data := fmt.Sprintf(`{"antragsteller":{"familienname":%q,"vorname":"Quirin"},"anliegen":%q}`, extFamily, extConcern)
	meta := fmt.Sprintf(`{"$schema":"https://schema.fitko.de/fit-connect/metadata/2.1.0/metadata.schema.json","contentStructure":{
		"data":{"hash":{"type":"sha512","content":"x"},"submissionSchema":{"schemaUri":"urn:example:sondernutzung:1.0","mimeType":"application/json"}},
		"attachments":[{"attachmentId":%q,"purpose":"form","filename":"antrag.pdf","mimeType":"application/pdf","hash":{"type":"sha512","content":"x"}},
		{"attachmentId":%q,"purpose":"attachment","filename":"lageplan.txt","mimeType":"text/plain","hash":{"type":"sha512","content":"x"}}]}}`, formAtt, fileAtt)
	if _, err := fc.Submit(ctx, p, c.SubmissionID, encrypt([]byte(meta), "application/json"), encrypt([]byte(data), "application/json")); err != nil {
		t.Fatal(err)
	}
	return c.SubmissionID
}

// dbContains reports in which table of the database s occurs in any
// column, as text or bytes.
func dbContains(t *testing.T, db *store.DB, s string) []string {
	t.Helper()
	ctx := context.Background()
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if db.Engine() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	var found []string
	for _, tb := range tables {
		r, err := db.QueryContext(ctx, `SELECT * FROM "`+tb+`"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := r.Columns()
		for r.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := r.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				var b []byte
				switch x := v.(type) {
				case []byte:
					b = x
				case string:
					b = []byte(x)
				}
				if bytes.Contains(b, []byte(s)) {
					found = append(found, tb)
				}
			}
		}
		r.Close()
	}
	return found
}

// TestExternalSenderInWorkspace: an application sent by an independent
// FIT-Connect sender to a destination worked in the built-in workspace
// appears there, opens for a clerk with a logged-in session (data,
// attachment, form PDF, export), is accepted at the Zustelldienst, has
// no Postfach back channel, and is nowhere in the database in plaintext.
func TestExternalSenderInWorkspace(t *testing.T) {
	dbtest.Engines(t, testExternalSenderInWorkspace)
}

func testExternalSenderInWorkspace(t *testing.T, db *store.DB) {
	ui, h := antragUI(t, db)
	ctx := context.Background()
	fc := ui.Antraege.Delivery.FC
	ui.Inbox.FC = fc
	dest := routeDest(t, ui)
	clerk := staffCookie(t, ui, "clerk@tue.example", "tuebingen", identity.RoleClerk)
	foreign := staffCookie(t, ui, "clerk@ber.example", "ber", identity.RoleClerk)
	storeDestKeys(t, ui, dest.ID, "tuebingen", "clerk@tue.example")

	fcSub := sendExternal(t, fc, dest)

	// Listing picks it up (as ciphertext) and indexes the name.
	w := send(h, "GET", "/sachbearbeitung?stand=alle", nil, clerk)
	if w.Code != 200 {
		t.Fatalf("list: %d %s", w.Code, w.Body.String())
	}
	var id, ref, own string
	if err := db.QueryRowContext(ctx, `SELECT id, reference, submission_id FROM inbox_cases WHERE fc_submission_id = ?`, fcSub).Scan(&id, &ref, &own); err != nil {
		t.Fatalf("not picked up: %v", err)
	}
	if own != "" {
		t.Errorf("external case mapped to own submission %q", own)
	}
	if !strings.Contains(w.Body.String(), ref) {
		t.Error("the list does not show the external case")
	}
	checkPage(t, w.Body.String())
	if w := send(h, "GET", "/sachbearbeitung?q="+extFamily, nil, clerk); !strings.Contains(w.Body.String(), ref) {
		t.Error("search by the applicant's name does not find the external case")
	}
	if w := send(h, "GET", "/sachbearbeitung?stand=alle", nil, foreign); strings.Contains(w.Body.String(), ref) {
		t.Error("another tenant's clerk lists the case")
	}

	base := "/sachbearbeitung/" + id
	w = send(h, "GET", base, nil, clerk)
	if w.Code != 200 || !strings.Contains(w.Body.String(), extFamily) || !strings.Contains(w.Body.String(), "Kein Postfach-Rückkanal") {
		t.Fatalf("case: %d", w.Code)
	}
	checkPage(t, w.Body.String())
	w = send(h, "GET", base+"/daten.json", nil, clerk)
	var got map[string]any
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &got) != nil || got["anliegen"] != extConcern {
		t.Errorf("data: %d %s", w.Code, w.Body.String())
	}
	if w := send(h, "GET", base+"/datei/0", nil, clerk); w.Code != 200 || w.Body.String() != extAttachment {
		t.Errorf("attachment: %d %q", w.Code, w.Body.String())
	}
	if w := send(h, "GET", base+"/antrag.pdf", nil, clerk); w.Code != 200 || w.Body.String() != extFormPDF {
		t.Errorf("form PDF: %d %q", w.Code, w.Body.String())
	}
	w = send(h, "GET", base+"/export.zip", nil, clerk)
	zr, err := zip.NewReader(bytes.NewReader(w.Body.Bytes()), int64(w.Body.Len()))
	if w.Code != 200 || err != nil {
		t.Fatalf("export: %d %v", w.Code, err)
	}
	inZip := false
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "anlagen/") {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			inZip = inZip || string(b) == extAttachment
		}
	}
	if !inZip {
		t.Error("the export lacks the decrypted attachment")
	}
	for _, p := range []string{base, base + "/daten.json", base + "/datei/0", base + "/antrag.pdf", base + "/export.zip"} {
		if w := send(h, "GET", p, nil, foreign); w.Code != http.StatusNotFound {
			t.Errorf("%s for another tenant's clerk: %d", p, w.Code)
		}
	}

	// An internal note: sealed under a key derived from the tenant key.
	if w := send(h, "POST", base+"/notiz", url.Values{"notiz": {"Rueckruf-Notiz-5531"}}, clerk); w.Code != http.StatusSeeOther {
		t.Fatalf("note: %d", w.Code)
	}
	if w := send(h, "GET", base, nil, clerk); !strings.Contains(w.Body.String(), "Rueckruf-Notiz-5531") {
		t.Error("the note is not shown")
	}

	// Working it accepts the submission at the Zustelldienst.
	if w := send(h, "POST", base+"/stand", url.Values{"stand": {"in_bearbeitung"}}, clerk); w.Code != http.StatusSeeOther {
		t.Fatalf("state: %d %s", w.Code, w.Body.String())
	}
	var status string
	if err := db.QueryRowContext(ctx, `SELECT status FROM fc_submissions WHERE id = ?`, fcSub).Scan(&status); err != nil || status != "accepted" {
		t.Errorf("status at the Zustelldienst: %q %v", status, err)
	}
	// No Postfach: a message is refused with a reason at the field, and
	// the decision gives the Bescheid as PDF to download.
	w = multipartPost(h, base+"/nachricht", url.Values{"art": {"frage"}, "text": {"Bitte rufen Sie uns an."}}, nil, clerk)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "Kein Postfach-Rückkanal") {
		t.Errorf("message to an external case: %d", w.Code)
	}
	w = multipartPost(h, base+"/entscheiden", url.Values{"entscheidung": {"bewilligt"}, "bescheidtext": {"Die Sondernutzung wird erlaubt."}}, nil, clerk)
	if w.Code != 200 || !strings.HasPrefix(w.Body.String(), "%PDF") {
		t.Errorf("decision: %d", w.Code)
	}
	if w := send(h, "GET", base, nil, clerk); !strings.Contains(w.Body.String(), "bewilligt") {
		t.Error("state after the decision")
	}

	// A formal rejection of a second external application: the
	// Zustelldienst gets reject-submission, nobody in ozgo a message.
	fcSub2 := sendExternal(t, fc, dest)
	send(h, "GET", "/sachbearbeitung", nil, clerk)
	var id2 string
	if err := db.QueryRowContext(ctx, `SELECT id FROM inbox_cases WHERE fc_submission_id = ?`, fcSub2).Scan(&id2); err != nil {
		t.Fatal(err)
	}
	if w := send(h, "POST", "/sachbearbeitung/"+id2+"/zurueckweisen", url.Values{"grund": {"Nicht zuständig."}}, clerk); w.Code != http.StatusSeeOther {
		t.Fatalf("reject: %d %s", w.Code, w.Body.String())
	}
	if err := db.QueryRowContext(ctx, `SELECT status FROM fc_submissions WHERE id = ?`, fcSub2).Scan(&status); err != nil || status != "rejected" {
		t.Errorf("status after rejecting: %q %v", status, err)
	}

	if tables := dbContains(t, db, ref); len(tables) == 0 {
		t.Fatal("the database scan finds nothing, not even the reference")
	}
	for _, s := range []string{extFamily, extConcern, extAttachment, "Antrag-Formular-9932", "Rueckruf-Notiz-5531"} {
		if tables := dbContains(t, db, s); len(tables) > 0 {
			t.Errorf("%q in plaintext in %v", s, tables)
		}
	}
}

// TestTenantKeyNeedsSession: with the database and the master key but no
// staff password or session, the destination's private keys do not open
// (neither directly nor through the workspace); a session holds the key
// sealed under its token only, and logging out takes it away; a single
// sign-on session starts locked and is unlocked with the key password.
func TestTenantKeyNeedsSession(t *testing.T) {
	db := dbtest.SQLite(t)
	ui, h := antragUI(t, db)
	ctx := context.Background()
	fc := ui.Antraege.Delivery.FC
	ui.Inbox.FC = fc
	dest := routeDest(t, ui)
	clerk := staffCookie(t, ui, "clerk@tue.example", "tuebingen", identity.RoleClerk)
	storeDestKeys(t, ui, dest.ID, "tuebingen", "clerk@tue.example")
	sendExternal(t, fc, dest)
	if w := send(h, "GET", "/sachbearbeitung", nil, clerk); w.Code != 200 {
		t.Fatalf("list: %d", w.Code)
	}
	var id string
	if err := db.QueryRowContext(ctx, `SELECT id FROM inbox_cases`).Scan(&id); err != nil {
		t.Fatal(err)
	}

	// The stored private keys: sealed under the tenant key, not the
	// master key; every key the master keyring can derive fails.
	var sig, enc []byte
	if err := db.QueryRowContext(ctx, `SELECT signing_key, encryption_key FROM inbox_keys WHERE destination_id = ?`, dest.ID).Scan(&sig, &enc); err != nil {
		t.Fatal(err)
	}
	for _, sealed := range [][]byte{sig, enc} {
		if bytes.Contains(sealed, []byte(`"d"`)) || bytes.Contains(sealed, []byte("RSA")) {
			t.Error("a private key is stored readable")
		}
		if _, err := ui.Inbox.Keys.Open(sealed, nil); err == nil {
			t.Error("the master key opens a destination key")
		}
	}
	st, err := ui.Identity.Service.StaffLogin(ctx, "clerk@tue.example", "ein-langes-passwort", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	keyless := &identity.Actor{Kind: identity.KindStaff, Principal: st.ID, TenantID: "tuebingen", Roles: []identity.Role{identity.RoleClerk}}
	if _, _, err := ui.Inbox.Get(ctx, keyless, id); !inbox.IsKeyLocked(err) {
		t.Errorf("case without the tenant key: %v", err)
	}
	forged := *keyless
	forged.TenantKey = ui.Inbox.Keys.DeriveKey("tenant-key:tuebingen")
	if _, _, err := ui.Inbox.Get(ctx, &forged, id); err == nil {
		t.Error("a key derived from the master key opens the case")
	}
	if err := ui.Inbox.SetState(ctx, keyless, id, "in_bearbeitung"); !inbox.IsKeyLocked(err) {
		t.Errorf("accepting without the tenant key: %v", err)
	}
	if _, err := ui.Inbox.FileContent(ctx, keyless, id, form.File{BlobID: "any"}); !inbox.IsKeyLocked(err) {
		t.Errorf("a file without the tenant key: %v", err)
	}
	if _, err := ui.Identity.Service.UnlockWithPassword(ctx, "clerk@tue.example", "ein-falsches-passwort"); err == nil {
		t.Error("a wrong password unlocks the tenant key")
	}

	// The session row holds the key sealed under the token; its id (the
	// token's hash, all the database has) does not open it.
	var rowID string
	var sealed []byte
	if err := db.QueryRowContext(ctx, `SELECT id, tenant_key FROM sessions WHERE id = ?`, hashOf(clerk.Value)).Scan(&rowID, &sealed); err != nil || len(sealed) == 0 {
		t.Fatalf("session key: %v", err)
	}
	if _, err := crypt.OpenWith(sessionKeyFrom(t, rowID), sealed, []byte("ozgo session tenant key "+rowID)); err == nil {
		t.Error("the session's hash opens its tenant key")
	}
	if _, err := crypt.OpenWith(sessionKeyFrom(t, clerk.Value), sealed, []byte("ozgo session tenant key "+rowID)); err != nil {
		t.Error("the token does not open the session's tenant key")
	}

	// Logging out ends the session and its key.
	if w := send(h, "POST", "/abmelden", url.Values{}, clerk); w.Code != http.StatusSeeOther {
		t.Fatalf("logout: %d", w.Code)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE tenant_key IS NOT NULL`).Scan(&n); err != nil || n != 0 {
		t.Errorf("sessions with a key after logout: %d %v", n, err)
	}
	if w := send(h, "GET", "/sachbearbeitung/"+id, nil, clerk); w.Code != http.StatusSeeOther {
		t.Errorf("case after logout: %d", w.Code)
	}

	// Single sign-on brings no password: the session starts locked, the
	// workspace explains it, the key password unlocks it.
	sso, err := ui.Identity.Service.StartSession(ctx, "", identity.KindStaff, st.ID, identity.Substantiell, "oidc", false)
	if err != nil {
		t.Fatal(err)
	}
	ssoC := &http.Cookie{Name: sessionCookie, Value: sso.Token}
	w := send(h, "GET", "/sachbearbeitung", nil, ssoC)
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "Schlüsselkennwort") {
		t.Fatalf("locked workspace: %d", w.Code)
	}
	checkPage(t, w.Body.String())
	if w := send(h, "GET", "/sachbearbeitung/"+id+"/daten.json", nil, ssoC); w.Code != http.StatusForbidden {
		t.Errorf("data in a locked session: %d", w.Code)
	}
	w = send(h, "POST", "/mitarbeiter/schluessel", url.Values{"schluesselkennwort": {"falsch-falsch-falsch"}}, ssoC)
	if w.Code != http.StatusUnprocessableEntity {
		t.Errorf("wrong key password: %d", w.Code)
	}
	checkPage(t, w.Body.String())
	if w := send(h, "POST", "/mitarbeiter/schluessel", url.Values{"schluesselkennwort": {"ein-langes-passwort"}}, ssoC); w.Code != http.StatusSeeOther {
		t.Fatalf("unlock: %d %s", w.Code, w.Body.String())
	}
	if w := send(h, "GET", "/sachbearbeitung/"+id, nil, ssoC); w.Code != 200 || !strings.Contains(w.Body.String(), extFamily) {
		t.Errorf("case after unlocking: %d", w.Code)
	}
	// "Alle Geräte abmelden" ends it too.
	if w := send(h, "POST", "/abmelden", url.Values{"ueberall": {"1"}}, ssoC); w.Code != http.StatusSeeOther {
		t.Fatalf("logout everywhere: %d", w.Code)
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE principal = ?`, st.ID).Scan(&n); err != nil || n != 0 {
		t.Errorf("sessions after logout everywhere: %d %v", n, err)
	}
}

func hashOf(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// sessionKeyFrom derives a session key as identity does (HKDF-SHA256).
func sessionKeyFrom(t *testing.T, secret string) []byte {
	k, err := hkdf.Key(sha256.New, []byte(secret), nil, "ozgo session tenant key v1", crypt.KeySize)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestTenantAdminGrantsClerk: a tenant admin whose session holds the
// tenant key creates a clerk, who then opens the tenant's cases; an
// account created without the key (command line) cannot, and a clerk of
// another tenant gets 404.
func TestTenantAdminGrantsClerk(t *testing.T) {
	dbtest.Engines(t, testTenantAdminGrantsClerk)
}

func testTenantAdminGrantsClerk(t *testing.T, db *store.DB) {
	ui, h := antragUI(t, db)
	ctx := context.Background()
	fc := ui.Antraege.Delivery.FC
	ui.Inbox.FC = fc
	dest := routeDest(t, ui)
	admin := staffCookie(t, ui, "admin@tue.example", "tuebingen", identity.RoleTenantAdmin)
	storeDestKeys(t, ui, dest.ID, "tuebingen", "admin@tue.example")
	foreign := staffCookie(t, ui, "clerk@ber.example", "ber", identity.RoleClerk)
	sendExternal(t, fc, dest)

	sess, err := ui.Identity.Service.Session(ctx, admin.Value)
	if err != nil {
		t.Fatal(err)
	}
	adminActor, err := ui.Identity.Service.ActorFor(ctx, sess)
	if err != nil || adminActor.TenantKey == nil {
		t.Fatalf("admin actor without key: %v", err)
	}
	st, err := ui.Identity.Service.CreateTenantStaff(ctx, adminActor, identity.NewStaff{Email: "neu@tue.example", Roles: []identity.Role{identity.RoleClerk}, Password: "ein-neues-passwort-1"})
	if err != nil || !st.KeyAccess {
		t.Fatalf("create clerk: %v (key access %v)", err, st != nil && st.KeyAccess)
	}
	// Without the key: the command line's way.
	if st2, err := ui.Identity.Service.CreateStaff(ctx, "system", identity.NewStaff{Email: "ohne@tue.example", TenantID: "tuebingen", Roles: []identity.Role{identity.RoleClerk}, Password: "ein-neues-passwort-2"}); err != nil || st2.KeyAccess {
		t.Fatalf("create without key: %v", err)
	}
	login := func(email, pw string) *http.Cookie {
		st, err := ui.Identity.Service.StaffLogin(ctx, email, pw, "192.0.2.2")
		if err != nil {
			t.Fatal(err)
		}
		s, err := ui.Identity.Service.FinishStaffLogin(ctx, "", st)
		if err != nil {
			t.Fatal(err)
		}
		return &http.Cookie{Name: sessionCookie, Value: s.Token}
	}
	clerk := login("neu@tue.example", "ein-neues-passwort-1")
	if w := send(h, "GET", "/sachbearbeitung", nil, clerk); w.Code != 200 {
		t.Fatalf("list as the new clerk: %d", w.Code)
	}
	var id string
	if err := db.QueryRowContext(ctx, `SELECT id FROM inbox_cases`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if w := send(h, "GET", "/sachbearbeitung/"+id, nil, clerk); w.Code != 200 || !strings.Contains(w.Body.String(), extFamily) {
		t.Errorf("case as the new clerk: %d", w.Code)
	}
	without := login("ohne@tue.example", "ein-neues-passwort-2")
	if w := send(h, "GET", "/sachbearbeitung/"+id, nil, without); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "kein Zugang zum Schlüssel") {
		t.Errorf("case without key access: %d", w.Code)
	}
	if w := send(h, "GET", "/sachbearbeitung/"+id, nil, foreign); w.Code != http.StatusNotFound {
		t.Errorf("case as another tenant's clerk: %d", w.Code)
	}
	// The admin grants the key to the account without it; after a new
	// login it opens the case. A password change keeps the access.
	st3, err := ui.Identity.Service.UnlockWithPassword(ctx, "ohne@tue.example", "ein-neues-passwort-2")
	if err == nil || st3 != nil {
		t.Error("an account without access unlocks the key")
	}
	var ohneID string
	if err := db.QueryRowContext(ctx, `SELECT id FROM staff WHERE email = 'ohne@tue.example'`).Scan(&ohneID); err != nil {
		t.Fatal(err)
	}
	if err := ui.Identity.Service.GrantKeyAccess(ctx, adminActor, ohneID, "ein-neues-passwort-2"); err != nil {
		t.Fatal(err)
	}
	if err := ui.Identity.Service.ChangePassword(ctx, ohneID, "ein-neues-passwort-2", "ein-drittes-passwort-3"); err != nil {
		t.Fatal(err)
	}
	if w := send(h, "GET", "/sachbearbeitung/"+id, nil, login("ohne@tue.example", "ein-drittes-passwort-3")); w.Code != 200 {
		t.Errorf("case after grant and password change: %d", w.Code)
	}
	// A password reset by the admin wraps the key anew.
	if err := ui.Identity.Service.ResetPassword(ctx, adminActor, st.ID, "zurueckgesetzt-1234"); err != nil {
		t.Fatal(err)
	}
	if w := send(h, "GET", "/sachbearbeitung/"+id, nil, login("neu@tue.example", "zurueckgesetzt-1234")); w.Code != 200 {
		t.Errorf("case after password reset: %d", w.Code)
	}
	// The recovery code opens the key too.
	code, err := ui.Identity.Service.NewRecoveryCode(ctx, adminActor.ID(), "tuebingen", adminActor.TenantKey)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := ui.Identity.Service.RecoverTenantKey(ctx, "tuebingen", strings.ToLower(code)); err != nil || !bytes.Equal(k, adminActor.TenantKey) {
		t.Errorf("recovery: %v", err)
	}
	if _, err := ui.Identity.Service.RecoverTenantKey(ctx, "tuebingen", "AAAAA-AAAAA-AAAAA-AAAAA"); err == nil {
		t.Error("a wrong recovery code opens the key")
	}
}

// TestStaffAdminPage: a tenant admin creates a clerk in the browser; the
// clerk logs in with that password and opens the tenant's cases; the
// admin resets a password; bad input gets errors at the fields.
func TestStaffAdminPage(t *testing.T) {
	db := dbtest.SQLite(t)
	ui, h := antragUI(t, db)
	ctx := context.Background()
	fc := ui.Antraege.Delivery.FC
	ui.Inbox.FC = fc
	dest := routeDest(t, ui)
	admin := staffCookie(t, ui, "admin@tue.example", "tuebingen", identity.RoleTenantAdmin)
	storeDestKeys(t, ui, dest.ID, "tuebingen", "admin@tue.example")
	foreignAdmin := staffCookie(t, ui, "admin@ber.example", "ber", identity.RoleTenantAdmin)
	sendExternal(t, fc, dest)

	w := send(h, "GET", "/verwaltung/mitarbeiter", nil, admin)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "admin@tue.example") {
		t.Fatalf("page: %d", w.Code)
	}
	checkPage(t, w.Body.String())
	w = send(h, "POST", "/verwaltung/mitarbeiter", url.Values{"name": {"Erika Muster"}, "email": {"kein-mail"}, "rolle": {"clerk"}, "password": {"kurz"}}, admin)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "kern-error") {
		t.Fatalf("bad input: %d", w.Code)
	}
	checkPage(t, w.Body.String())
	w = send(h, "POST", "/verwaltung/mitarbeiter", url.Values{"name": {"Erika Muster"}, "email": {"erika@tue.example"}, "rolle": {"clerk"}, "password": {"erikas-passwort-1"}}, admin)
	if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "hinweis=angelegt") || strings.Contains(w.Header().Get("Location"), "ohne") {
		t.Fatalf("create: %d %s", w.Code, w.Header().Get("Location"))
	}
	if w := send(h, "GET", "/verwaltung/mitarbeiter?hinweis=angelegt", nil, admin); !strings.Contains(w.Body.String(), "erika@tue.example") || !strings.Contains(w.Body.String(), "Zugang zum Schlüssel") {
		t.Error("the new account is not listed with key access")
	}
	if w := send(h, "GET", "/verwaltung/mitarbeiter", nil, foreignAdmin); strings.Contains(w.Body.String(), "erika@tue.example") {
		t.Error("another tenant's admin sees the account")
	}
	st, err := ui.Identity.Service.StaffLogin(ctx, "erika@tue.example", "erikas-passwort-1", "192.0.2.3")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := ui.Identity.Service.FinishStaffLogin(ctx, "", st)
	if err != nil {
		t.Fatal(err)
	}
	erika := &http.Cookie{Name: sessionCookie, Value: sess.Token}
	if w := send(h, "GET", "/sachbearbeitung", nil, erika); w.Code != 200 {
		t.Fatalf("list as the new clerk: %d", w.Code)
	}
	var id string
	if err := db.QueryRowContext(ctx, `SELECT id FROM inbox_cases`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if w := send(h, "GET", "/sachbearbeitung/"+id, nil, erika); w.Code != 200 || !strings.Contains(w.Body.String(), extFamily) {
		t.Errorf("case as the new clerk: %d", w.Code)
	}
	// A reset by a foreign admin is 404; the own admin's works and ends
	// the clerk's sessions.
	if w := send(h, "POST", "/verwaltung/mitarbeiter/"+st.ID+"/passwort", url.Values{"password": {"ein-fremdes-passwort"}}, foreignAdmin); w.Code != http.StatusNotFound {
		t.Errorf("foreign reset: %d", w.Code)
	}
	if w := send(h, "POST", "/verwaltung/mitarbeiter/"+st.ID+"/passwort", url.Values{"password": {"kurz"}}, admin); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("short reset: %d", w.Code)
	}
	if w := send(h, "POST", "/verwaltung/mitarbeiter/"+st.ID+"/passwort", url.Values{"password": {"erikas-neues-passwort"}}, admin); w.Code != http.StatusSeeOther {
		t.Fatalf("reset: %d", w.Code)
	}
	if w := send(h, "GET", "/sachbearbeitung/"+id, nil, erika); w.Code != http.StatusSeeOther {
		t.Errorf("old session after reset: %d", w.Code)
	}
	if _, err := ui.Identity.Service.UnlockWithPassword(ctx, "erika@tue.example", "erikas-neues-passwort"); err != nil {
		t.Errorf("the new password does not unlock the key: %v", err)
	}
	// A new recovery code, shown once, opens the key.
	w = send(h, "POST", "/verwaltung/mitarbeiter/wiederherstellungscode", url.Values{}, admin)
	m := regexp.MustCompile(`<code class="ozgo-code">([A-Z0-9-]+)</code>`).FindStringSubmatch(w.Body.String())
	if w.Code != 200 || m == nil {
		t.Fatalf("recovery code: %d", w.Code)
	}
	checkPage(t, w.Body.String())
	if _, err := ui.Identity.Service.RecoverTenantKey(ctx, "tuebingen", m[1]); err != nil {
		t.Errorf("the shown recovery code does not open the key: %v", err)
	}
	st, err = ui.Identity.Service.StaffLogin(ctx, "erika@tue.example", "erikas-neues-passwort", "192.0.2.3")
	if err != nil {
		t.Fatal(err)
	}
	if sess, err = ui.Identity.Service.FinishStaffLogin(ctx, "", st); err != nil {
		t.Fatal(err)
	}
	erika = &http.Cookie{Name: sessionCookie, Value: sess.Token}
	if w := send(h, "POST", "/verwaltung/mitarbeiter/wiederherstellungscode", url.Values{}, erika); w.Code != http.StatusNotFound {
		t.Errorf("a clerk makes a recovery code: %d", w.Code)
	}
}
