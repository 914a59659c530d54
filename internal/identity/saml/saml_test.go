package saml_test

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	crewjam "github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
	ozsaml "github.com/ozgo/ozgo/internal/identity/saml"
)

// Key generation is the slow part; the keys are shared by all tests.
var (
	idpKey   = mustKeyPair("idp")
	spKey    = mustKeyPair("sp")
	otherKey = mustKeyPair("attacker")
)

func mustKeyPair(cn string) ozsaml.KeyPair {
	kp, err := ozsaml.NewKeyPair(cn)
	if err != nil {
		panic(err)
	}
	return kp
}

const (
	idpEntity = "https://idp.example/saml"
	spBase    = "https://ozgo.example"
	acsURL    = spBase + "/saml/acs"
)

// t0 is now: the self-signed certificates are valid from an hour ago.
var t0 = time.Now().UTC().Truncate(time.Second)

func newIdP(kp ozsaml.KeyPair, entity string) *crewjam.IdentityProvider {
	e, _ := url.Parse(entity)
	sso, _ := url.Parse("https://idp.example/sso")
	return &crewjam.IdentityProvider{
		Key: kp.Key, Certificate: kp.Certificate, MetadataURL: *e, SSOURL: *sso,
		SignatureMethod: dsig.RSASHA256SignatureMethod,
		Clock:           dsig.NewFakeClockAt(t0),
	}
}

func idpMetadata(t testing.TB, idp *crewjam.IdentityProvider) []byte {
	b, err := xml.Marshal(idp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newSP(t testing.TB, now time.Time) *ozsaml.Provider {
	t.Helper()
	sp, err := ozsaml.New(ozsaml.Config{
		PublicURL:   spBase,
		Key:         spKey,
		IdPMetadata: idpMetadata(t, newIdP(idpKey, idpEntity)),
		Now:         func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// respOpts describe how a test response is built and spoilt.
type respOpts struct {
	signer          ozsaml.KeyPair // default idpKey
	encrypt         bool
	unsignedAssert  bool // assertion without its own signature
	unsignedResp    bool // response without its signature
	status          string
	acs             string // default acsURL; Destination and Recipient
	mutateAssertion func(*crewjam.Assertion)
	mutateXML       func(string) string // after signing
	level           identity.TrustLevel
	classRef        string // AuthnContextClassRef; default STORK of level
}

var anna = identity.Attributes{
	GivenName: "Anna", FamilyName: "Schäfer", BirthDate: "1985-03-14", PlaceOfBirth: "Reutlingen",
	Email: "anna@example.org", Street: "Neckarhalde 12", PostalCode: "72070", City: "Tübingen", Country: "DE",
}

const annaBPK2 = "dGVzdC1icGsyLWFubmE="

func attrs(level identity.TrustLevel) []crewjam.Attribute {
	var out []crewjam.Attribute
	add := func(n, v string) {
		out = append(out, crewjam.Attribute{Name: n, NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:uri", Values: []crewjam.AttributeValue{{Type: "xs:string", Value: v}}})
	}
	add(ozsaml.AttrBPK2, annaBPK2)
	add(ozsaml.AttrGivenName, anna.GivenName)
	add(ozsaml.AttrSurname, anna.FamilyName)
	add(ozsaml.AttrBirthDate, "14.03.1985")
	add(ozsaml.AttrPlaceOfBirth, anna.PlaceOfBirth)
	add(ozsaml.AttrEmail, anna.Email)
	add(ozsaml.AttrStreet, anna.Street)
	add(ozsaml.AttrPostalCode, anna.PostalCode)
	add(ozsaml.AttrCity, anna.City)
	add(ozsaml.AttrCountry, "de")
	if level != identity.None {
		add(ozsaml.AttrTrustLevel, level.STORK())
	}
	return out
}

// makeResponse issues a Response to requestID as an IdP would, built with
// crewjam's IdP, spoilt as o says.
func makeResponse(t testing.TB, sp *ozsaml.Provider, requestID string, o respOpts) url.Values {
	t.Helper()
	if o.signer.Key == nil {
		o.signer = idpKey
	}
	if o.level == identity.None {
		o.level = identity.Hoch
	}
	if o.classRef == "" {
		o.classRef = o.level.STORK()
	}
	idp := newIdP(o.signer, idpEntity)
	mdb, err := sp.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	var md crewjam.EntityDescriptor
	if err := xml.Unmarshal(mdb, &md); err != nil {
		t.Fatal(err)
	}
	d := &md.SPSSODescriptors[0]
	if !o.encrypt {
		var keep []crewjam.KeyDescriptor
		for _, k := range d.KeyDescriptors {
			if k.Use != "encryption" {
				keep = append(keep, k)
			}
		}
		d.KeyDescriptors = keep
	}
	acs := d.AssertionConsumerServices[0]
	if o.acs != "" {
		acs.Location = o.acs
	}
	req := &crewjam.IdpAuthnRequest{
		IDP:                     idp,
		HTTPRequest:             httptest.NewRequest("POST", "https://idp.example/sso", nil),
		Request:                 crewjam.AuthnRequest{ID: requestID, IssueInstant: t0},
		ServiceProviderMetadata: &md,
		SPSSODescriptor:         d,
		ACSEndpoint:             &acs,
		Now:                     t0,
	}
	if o.status != "" {
		if err := req.MakeErrorResponse(crewjam.StatusResponder, o.status, ""); err != nil {
			t.Fatal(err)
		}
	} else {
		session := &crewjam.Session{
			CreateTime: t0, NameID: "persistent-anna", NameIDFormat: string(crewjam.PersistentNameIDFormat),
			AuthnContextClassRef: o.classRef, CustomAttributes: attrs(o.level),
		}
		if err := (crewjam.DefaultAssertionMaker{}).MakeAssertion(req, session); err != nil {
			t.Fatal(err)
		}
		if o.mutateAssertion != nil {
			o.mutateAssertion(req.Assertion)
		}
		if o.unsignedAssert {
			req.AssertionEl = req.Assertion.Element()
		}
		if err := req.MakeResponse(); err != nil {
			t.Fatal(err)
		}
	}
	if o.unsignedResp {
		for _, c := range req.ResponseEl.ChildElements() {
			if c.Tag == "Signature" {
				req.ResponseEl.RemoveChildAt(c.Index())
			}
		}
	}
	form, err := req.PostBinding()
	if err != nil {
		t.Fatal(err)
	}
	if o.mutateXML != nil {
		raw, _ := base64.StdEncoding.DecodeString(form.SAMLResponse)
		changed := o.mutateXML(string(raw))
		if changed == string(raw) {
			t.Fatal("mutateXML changed nothing")
		}
		form.SAMLResponse = base64.StdEncoding.EncodeToString([]byte(changed))
	}
	return url.Values{"SAMLResponse": {form.SAMLResponse}}
}

func TestFinish(t *testing.T) {
	const reqID = "_req1"
	pending := identity.Pending{ID: reqID, Provider: "bundid", TrustLevel: identity.Substantiell}
	tests := []struct {
		name    string
		o       respOpts
		now     time.Time // SP clock; default t0 + 10s
		pending *identity.Pending
		want    identity.TrustLevel // None: must be refused
		cause   string              // in the logged cause, to show which check refused it
	}{
		{name: "good", o: respOpts{}, want: identity.Hoch},
		{name: "good encrypted", o: respOpts{encrypt: true}, want: identity.Hoch},
		{name: "good, only the assertion signed", o: respOpts{unsignedResp: true}, want: identity.Hoch},
		{name: "good encrypted, only the assertion signed", o: respOpts{unsignedResp: true, encrypt: true}, want: identity.Hoch},
		{name: "level from the lower of attribute and class", o: respOpts{level: identity.Hoch, classRef: "STORK-QAA-Level-3"}, want: identity.Substantiell},
		{name: "level from eIDAS class ref", o: respOpts{level: identity.Substantiell, classRef: "http://eidas.europa.eu/LoA/substantial"}, want: identity.Substantiell},
		{name: "no level at all", o: respOpts{classRef: "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport", mutateAssertion: func(a *crewjam.Assertion) {
			at := a.AttributeStatements[0].Attributes
			a.AttributeStatements[0].Attributes = at[:len(at)-1]
		}}},
		{name: "bad signature", o: respOpts{mutateXML: func(s string) string { return strings.Replace(s, ">Anna<", ">Anne<", 1) }}},
		{name: "signed by another key", o: respOpts{signer: otherKey}},
		{name: "unsigned assertion in signed response", o: respOpts{unsignedAssert: true}, cause: "assertion signature"},
		{name: "unsigned assertion in signed response, encrypted", o: respOpts{unsignedAssert: true, encrypt: true}, cause: "assertion signature"},
		{name: "nothing signed", o: respOpts{unsignedAssert: true, unsignedResp: true}},
		{name: "wrong audience", o: respOpts{mutateAssertion: func(a *crewjam.Assertion) {
			a.Conditions.AudienceRestrictions[0].Audience.Value = "https://other.example/saml/metadata"
		}}},
		{name: "wrong recipient", o: respOpts{mutateAssertion: func(a *crewjam.Assertion) {
			a.Subject.SubjectConfirmations[0].SubjectConfirmationData.Recipient = "https://other.example/saml/acs"
		}}},
		{name: "wrong destination", o: respOpts{acs: "https://other.example/saml/acs"}},
		{name: "expired", now: t0.Add(10 * time.Minute)},
		{name: "assertion expired, response fresh", o: respOpts{mutateAssertion: func(a *crewjam.Assertion) {
			// crewjam allows crewjam.MaxClockSkew (3 minutes) either way.
			a.Conditions.NotOnOrAfter = t0.Add(-crewjam.MaxClockSkew)
		}}, cause: "expired"},
		{name: "not yet valid", now: t0.Add(-10 * time.Minute)},
		{name: "wrong InResponseTo", pending: &identity.Pending{ID: "_other"}},
		{name: "assertion for another request", o: respOpts{mutateAssertion: func(a *crewjam.Assertion) {
			a.Subject.SubjectConfirmations[0].SubjectConfirmationData.InResponseTo = "_other"
		}}},
		{name: "status not success", o: respOpts{status: crewjam.StatusAuthnFailed}},
		{name: "wrong issuer", o: respOpts{mutateAssertion: func(a *crewjam.Assertion) { a.Issuer.Value = "https://evil.example" }}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = t0.Add(10 * time.Second)
			}
			sp := newSP(t, now)
			if tc.name == "good" {
				// The default case must be well-formed for the others to mean anything.
				tc.o = respOpts{}
			}
			form := makeResponse(t, sp, reqID, tc.o)
			p := pending
			if tc.pending != nil {
				p = *tc.pending
			}
			a, err := sp.Finish(context.Background(), form, p)
			if tc.want == identity.None {
				if err == nil {
					t.Fatalf("accepted: %+v", a)
				}
				if errs.CodeOf(err) != errs.Unauthorized {
					t.Fatalf("code %s: %v", errs.CodeOf(err), err)
				}
				if !strings.Contains(err.Error(), tc.cause) {
					t.Fatalf("refused for another reason: %v", err)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.Subject != annaBPK2 || a.TrustLevel != tc.want || a.Attributes != anna || a.Provider != "bundid" {
				t.Errorf("assertion = %+v", a)
			}
			if a.ReplayID == "" || !a.ReplayUntil.After(now) {
				t.Errorf("replay = %q until %v", a.ReplayID, a.ReplayUntil)
			}
		})
	}
}

func TestFinishStatusMessage(t *testing.T) {
	sp := newSP(t, t0.Add(time.Second))
	_, err := sp.Finish(context.Background(), makeResponse(t, sp, "_r", respOpts{status: crewjam.StatusAuthnFailed}), identity.Pending{ID: "_r"})
	if errs.MessageOf(err) != "login.error.idp_refused" {
		t.Errorf("message = %q (%v)", errs.MessageOf(err), err)
	}
}

func TestRequestID(t *testing.T) {
	sp := newSP(t, t0)
	got, err := sp.RequestID(makeResponse(t, sp, "_abc", respOpts{}))
	if err != nil || got != "_abc" {
		t.Fatalf("RequestID = %q, %v", got, err)
	}
	for name, form := range map[string]url.Values{
		"missing":      {},
		"not base64":   {"SAMLResponse": {"%%%"}},
		"not xml":      {"SAMLResponse": {base64.StdEncoding.EncodeToString([]byte("hello"))}},
		"not Response": {"SAMLResponse": {base64.StdEncoding.EncodeToString([]byte(`<x InResponseTo="_a"/>`))}},
		"twice":        {"SAMLResponse": {"a", "b"}},
	} {
		if _, err := sp.RequestID(form); errs.CodeOf(err) != errs.Unauthorized {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestBegin(t *testing.T) {
	sp := newSP(t, t0)
	if _, err := sp.Begin(context.Background(), "1-not-an-xs-id", identity.Hoch); err == nil {
		t.Error("Begin accepted an ID that is not an xs:ID")
	}
	start, err := sp.Begin(context.Background(), "_req", identity.Substantiell)
	if err != nil {
		t.Fatal(err)
	}
	if !start.Post || start.URL != "https://idp.example/sso" {
		t.Fatalf("start = %+v", start)
	}
	raw, err := base64.StdEncoding.DecodeString(start.Fields["SAMLRequest"])
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, want := range []string{
		`ID="_req"`, `Destination="https://idp.example/sso"`, `AssertionConsumerServiceURL="` + acsURL + `"`,
		`<samlp:RequestedAuthnContext Comparison="minimum">`, `>STORK-QAA-Level-3</saml:AuthnContextClassRef>`,
		`<akdb:AuthenticationRequest xmlns:akdb="https://www.akdb.de/request/2018/09" Version="2">`,
		`<akdb:RequestedAttribute Name="urn:oid:1.3.6.1.4.1.25484.494450.3" RequiredAttribute="true"/>`,
		`rsa-sha256`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("AuthnRequest lacks %s", want)
		}
	}
	// Schema order: Issuer, Signature, Extensions.
	if i, j, k := strings.Index(s, "</saml:Issuer>"), strings.Index(s, "<ds:Signature"), strings.Index(s, "<samlp:Extensions>"); !(i < j && j < k) || strings.Count(s, "<ds:Signature ") != 1 {
		t.Errorf("element order: issuer %d signature %d extensions %d", i, j, k)
	}
}

func TestMetadata(t *testing.T) {
	b, err := newSP(t, t0).Metadata()
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		`entityID="https://ozgo.example/saml/metadata"`, `AuthnRequestsSigned="true"`, `WantAssertionsSigned="true"`,
		`use="signing"`, `use="encryption"`,
		`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://ozgo.example/saml/acs"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("metadata lacks %s", want)
		}
	}
	if strings.Contains(s, "HTTP-Artifact") {
		t.Error("metadata offers the artifact binding")
	}
}

func TestRefusesTestIdP(t *testing.T) {
	marked := newIdP(idpKey, idpEntity)
	ed := marked.Metadata()
	ed.Extensions = &crewjam.Extensions{Other: []crewjam.ExtensionElement{{XMLName: xml.Name{Space: ozsaml.TestSystemNamespace, Local: ozsaml.TestSystemElement}}}}
	withMark, err := xml.Marshal(ed)
	if err != nil {
		t.Fatal(err)
	}
	for name, md := range map[string][]byte{
		"extension": withMark,
		"entity ID": idpMetadata(t, newIdP(idpKey, "http://127.0.0.1:8081/ozgo-devidp")),
	} {
		cfg := ozsaml.Config{PublicURL: spBase, Key: spKey, IdPMetadata: md}
		if _, err := ozsaml.New(cfg); !errors.Is(err, ozsaml.ErrTestIdP) {
			t.Errorf("%s: err = %v", name, err)
		}
		cfg.AllowTestIdP = true
		if _, err := ozsaml.New(cfg); err != nil {
			t.Errorf("%s with AllowTestIdP: %v", name, err)
		}
	}
}

func FuzzRequestID(f *testing.F) {
	sp := newSP(f, t0.Add(time.Second))
	good := makeResponse(f, sp, "_fuzz", respOpts{}).Get("SAMLResponse")
	raw, _ := base64.StdEncoding.DecodeString(good)
	f.Add(raw)
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" InResponseTo="_x"/>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		form := url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(b)}}
		if _, err := sp.RequestID(form); err != nil && errs.CodeOf(err) != errs.Unauthorized {
			t.Fatalf("RequestID: %v", err)
		}
		a, err := sp.Finish(context.Background(), form, identity.Pending{ID: "_fuzz"})
		if err != nil && errs.CodeOf(err) != errs.Unauthorized {
			t.Fatalf("Finish: %v", err)
		}
		// Only the untouched response may be accepted.
		if err == nil && string(b) != string(raw) && a.Subject != annaBPK2 {
			t.Fatalf("accepted a changed response: %+v", a)
		}
	})
}
