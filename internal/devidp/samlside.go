package devidp

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ozgo/ozgo/internal/identity"
	ozsaml "github.com/ozgo/ozgo/internal/identity/saml"
)

// samlSide is the SAML IdP, built on crewjam's IdentityProvider, which
// parses the AuthnRequest (both bindings), checks its signature against
// the SP metadata and signs (and, when the SP metadata has an encryption
// key, encrypts) the assertion.
type samlSide struct {
	idp *IdP
	cj  *crewjam.IdentityProvider

	mu     sync.Mutex
	spMeta *crewjam.EntityDescriptor // loaded SP metadata, nil until then
}

type samlPending struct {
	req *crewjam.IdpAuthnRequest
}

func newSAMLSide(idp *IdP, kp ozsaml.KeyPair) (*samlSide, error) {
	entity, err := url.Parse(idp.SAMLEntityID())
	if err != nil {
		return nil, err
	}
	sso, err := url.Parse(idp.base + "/saml/sso")
	if err != nil {
		return nil, err
	}
	s := &samlSide{idp: idp}
	s.cj = &crewjam.IdentityProvider{
		Key:                     kp.Key,
		Certificate:             kp.Certificate,
		MetadataURL:             *entity, // crewjam uses it as the entity ID
		SSOURL:                  *sso,
		SignatureMethod:         dsig.RSASHA256SignatureMethod,
		ServiceProviderProvider: s,
		NameIDFormats:           []crewjam.NameIDFormat{crewjam.PersistentNameIDFormat},
		// The devidp lets the tester answer with a lower level than asked,
		// so that the SP's level check can be tested.
		EnforceRequestedAuthnContext: false,
		// Prefer AES-GCM (the SP metadata lists it first); crewjam then
		// picks the block cipher from the SP's list.
	}
	return s, nil
}

// metadata is the IdP metadata with the test-system mark.
func (s *samlSide) metadata() ([]byte, error) {
	ed := s.cj.Metadata()
	ed.Extensions = &crewjam.Extensions{Other: []crewjam.ExtensionElement{{
		XMLName: xml.Name{Space: ozsaml.TestSystemNamespace, Local: ozsaml.TestSystemElement},
	}}}
	b, err := xml.MarshalIndent(ed, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), b...), nil
}

func (s *samlSide) serveMetadata(w http.ResponseWriter, r *http.Request) {
	b, err := s.metadata()
	if err != nil {
		s.idp.fail(w, http.StatusInternalServerError, "Die Metadaten konnten nicht erzeugt werden.", err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	_, _ = w.Write(b)
}

type acsKey struct{}

// GetServiceProvider implements crewjam.ServiceProviderProvider. With SP
// metadata configured, only that SP is known. Without, any SP is answered
// at the ACS URL its request names (there is then no signature check and
// no encryption; the choice page says so).
func (s *samlSide) GetServiceProvider(r *http.Request, id string) (*crewjam.EntityDescriptor, error) {
	ed, err := s.loadSPMetadata(r.Context())
	switch {
	case err == nil:
		if ed.EntityID != id {
			return nil, os.ErrNotExist
		}
		return ed, nil
	case errors.Is(err, errNoSPMetadata):
		acs, _ := r.Context().Value(acsKey{}).(string)
		if acs == "" {
			return nil, os.ErrNotExist
		}
		return &crewjam.EntityDescriptor{
			EntityID: id,
			SPSSODescriptors: []crewjam.SPSSODescriptor{{
				AssertionConsumerServices: []crewjam.IndexedEndpoint{{Binding: crewjam.HTTPPostBinding, Location: acs, Index: 1}},
			}},
		}, nil
	}
	return nil, err
}

// loadSPMetadata fetches the SP metadata once it is available; until it
// has been read successfully every login tries again, so the devidp can
// start before ozgo.
func (s *samlSide) loadSPMetadata(ctx context.Context) (*crewjam.EntityDescriptor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spMeta != nil {
		return s.spMeta, nil
	}
	if s.idp.opts.SPMetadata == nil {
		return nil, errNoSPMetadata
	}
	b, err := s.idp.opts.SPMetadata(ctx)
	if err != nil {
		return nil, fmt.Errorf("devidp: SP metadata: %w", err)
	}
	var ed crewjam.EntityDescriptor
	if err := xml.Unmarshal(b, &ed); err != nil {
		return nil, fmt.Errorf("devidp: SP metadata: %w", err)
	}
	if len(ed.SPSSODescriptors) == 0 {
		return nil, errors.New("devidp: SP metadata has no SPSSODescriptor")
	}
	s.spMeta = &ed
	return &ed, nil
}

func (s *samlSide) serveSSO(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	}
	req, err := crewjam.NewIdpAuthnRequest(s.cj, r)
	if err != nil {
		s.idp.fail(w, http.StatusBadRequest, "Die SAML-Anfrage (AuthnRequest) ist ungültig.", err)
		return
	}
	// The ACS URL of the unverified request is only used when no SP
	// metadata is configured.
	var peek crewjam.AuthnRequest
	_ = xml.Unmarshal(req.RequestBuffer, &peek)
	_, metaErr := s.loadSPMetadata(r.Context())
	if metaErr != nil && !errors.Is(metaErr, errNoSPMetadata) {
		s.idp.fail(w, http.StatusServiceUnavailable, "Die SAML-Metadaten des Dienstes sind nicht erreichbar. Läuft ozgo schon?", metaErr)
		return
	}
	if errors.Is(metaErr, errNoSPMetadata) && r.Method == http.MethodPost {
		// Without the SP's certificate its signature cannot be checked;
		// crewjam would refuse the request, so the devidp ignores it (the
		// page says so). A signed HTTP-Redirect request still needs the
		// metadata.
		if b, err := withoutSignature(req.RequestBuffer); err == nil {
			req.RequestBuffer = b
		}
	}
	r = r.WithContext(context.WithValue(r.Context(), acsKey{}, peek.AssertionConsumerServiceURL))
	req.HTTPRequest = r
	if err := req.Validate(); err != nil {
		s.idp.fail(w, http.StatusBadRequest, "Die SAML-Anfrage wurde abgelehnt (unbekannter Dienst, falsche Signatur, falsches Ziel oder abgelaufen).", err)
		return
	}
	level := identity.Niedrig
	if rac := req.Request.RequestedAuthnContext; rac != nil {
		refs := rac.AuthnContextClassRefs
		if len(refs) == 0 && rac.AuthnContextClassRef != "" {
			refs = []string{rac.AuthnContextClassRef}
		}
		for _, ref := range refs {
			if l, ok := identity.ParseTrustLevel(ref); ok && l > level {
				level = l
			}
		}
	}
	note := ""
	if errors.Is(metaErr, errNoSPMetadata) {
		note = "Die SAML-Metadaten des Dienstes sind nicht konfiguriert: Die Signatur der Anfrage wurde nicht geprüft, und die Antwort wird nicht verschlüsselt."
	}
	s.idp.showChoice(w, &pendingLogin{level: int(level), saml: &samlPending{req: req}}, req.Request.Issuer.Value, note)
}

// answer sends the SAML Response for the tester's choice.
func (s *samlSide) answer(w http.ResponseWriter, r *http.Request, p *samlPending, person Person, level identity.TrustLevel, cancel bool) {
	req := p.req
	req.Now = s.idp.now()
	if cancel {
		if err := req.MakeErrorResponse(crewjam.StatusResponder, crewjam.StatusAuthnFailed, "Die Anmeldung wurde abgebrochen."); err != nil {
			s.idp.fail(w, http.StatusInternalServerError, "Die Antwort konnte nicht erzeugt werden.", err)
			return
		}
	} else if err := s.makeResponse(req, person, level); err != nil {
		s.idp.fail(w, http.StatusInternalServerError, "Die Antwort konnte nicht erzeugt werden.", err)
		return
	}
	form, err := req.PostBinding()
	if err != nil {
		s.idp.fail(w, http.StatusInternalServerError, "Die Antwort konnte nicht erzeugt werden.", err)
		return
	}
	fields := map[string]string{"SAMLResponse": form.SAMLResponse}
	if form.RelayState != "" {
		fields["RelayState"] = form.RelayState
	}
	s.idp.log.Info("devidp: SAML login answered", "sp", req.Request.Issuer.Value, "level", level.String(), "cancelled", cancel)
	s.idp.postForm(w, form.URL, fields)
}

// assertionTTL is how long the assertion is valid. crewjam's default ties
// it to the request's IssueInstant plus 90 seconds, which a tester reading
// the choice page easily exceeds.
const assertionTTL = 5 * time.Minute

func (s *samlSide) makeResponse(req *crewjam.IdpAuthnRequest, person Person, level identity.TrustLevel) error {
	now := req.Now
	session := &crewjam.Session{
		ID:                   randomToken(),
		CreateTime:           now,
		ExpireTime:           now.Add(assertionTTL),
		Index:                randomToken(),
		NameID:               person.BPK2,
		NameIDFormat:         string(crewjam.PersistentNameIDFormat),
		AuthnContextClassRef: level.STORK(),
		CustomAttributes:     BundIDAttributes(person, level),
	}
	if err := (crewjam.DefaultAssertionMaker{}).MakeAssertion(req, session); err != nil {
		return err
	}
	a := req.Assertion
	a.Conditions.NotBefore = now.Add(-time.Minute)
	a.Conditions.NotOnOrAfter = now.Add(assertionTTL)
	for i := range a.Subject.SubjectConfirmations {
		if d := a.Subject.SubjectConfirmations[i].SubjectConfirmationData; d != nil {
			d.NotOnOrAfter = now.Add(assertionTTL)
		}
	}
	if err := req.MakeAssertionEl(); err != nil {
		return err
	}
	return req.MakeResponse()
}

// BundIDAttributes are the SAML attributes the devidp sends for person at
// level, named by BundID's OIDs.
func BundIDAttributes(person Person, level identity.TrustLevel) []crewjam.Attribute {
	var out []crewjam.Attribute
	add := func(name, friendly, value string) {
		if value == "" {
			return
		}
		out = append(out, crewjam.Attribute{
			Name:         name,
			FriendlyName: friendly,
			NameFormat:   "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
			Values:       []crewjam.AttributeValue{{Type: "xs:string", Value: value}},
		})
	}
	add(ozsaml.AttrBPK2, "bPK2", person.BPK2)
	add(ozsaml.AttrGivenName, "givenName", person.GivenName)
	add(ozsaml.AttrSurname, "surname", person.FamilyName)
	add(ozsaml.AttrBirthName, "birthName", person.BirthName)
	add(ozsaml.AttrBirthDate, "birthdate", person.BirthDate)
	add(ozsaml.AttrPlaceOfBirth, "placeOfBirth", person.PlaceOfBirth)
	add(ozsaml.AttrStreet, "postalAddress", person.Street)
	add(ozsaml.AttrPostalCode, "postalCode", person.PostalCode)
	add(ozsaml.AttrCity, "localityName", person.City)
	add(ozsaml.AttrCountry, "country", person.Country)
	add(ozsaml.AttrEmail, "mail", person.Email)
	add(ozsaml.AttrTrustLevel, "EID-CITIZEN-QAA-LEVEL", level.STORK())
	return out
}

// withoutSignature removes the ds:Signature children of the root element.
func withoutSignature(b []byte) ([]byte, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, err
	}
	root := doc.Root()
	if root == nil {
		return nil, errors.New("no root element")
	}
	for i := len(root.Child) - 1; i >= 0; i-- {
		if el, ok := root.Child[i].(*etree.Element); ok && el.Tag == "Signature" && el.NamespaceURI() == dsig.Namespace {
			root.RemoveChildAt(i)
		}
	}
	return doc.WriteToBytes()
}
