// Package saml is ozgo's SAML 2.0 service provider for BundID-style
// citizen logins. It implements identity.Provider on top of
// github.com/crewjam/saml, which does the XML signature, encryption and
// the protocol checks; this package adds what BundID needs on top (signed
// HTTP-POST AuthnRequests with STORK QAA levels and the akdb attribute
// extension), insists on signed assertions, and maps the BundID attributes
// to identity.Attributes.
//
// The handlers that serve /saml/metadata and /saml/acs live in the web
// layer; they call Metadata and Finish.
package saml

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
)

// Config configures a Provider.
type Config struct {
	// ID names the provider in storage and URLs; default "bundid".
	ID string
	// Label is shown on the login choice page; default "BundID".
	Label string
	// PublicURL is ozgo's public base URL, e.g. https://ozgo.example.de.
	// EntityID and ACSURL default to PublicURL + "/saml/metadata" and
	// PublicURL + "/saml/acs".
	PublicURL string
	EntityID  string
	ACSURL    string
	// Key and Certificate sign AuthnRequests and decrypt encrypted
	// assertions; see LoadOrCreateKeyPair.
	Key KeyPair
	// IdPMetadata is the IdP's SAML metadata (see LoadMetadata).
	IdPMetadata []byte
	// IdPEntityID picks the IdP when IdPMetadata holds several.
	IdPEntityID string
	// AllowTestIdP lets the provider trust ozgo's development IdP. Without
	// it New refuses metadata carrying the devidp's marks.
	AllowTestIdP bool
	// RequestedAttributes are asked for in each AuthnRequest; default
	// DefaultRequestedAttributes.
	RequestedAttributes []RequestedAttribute
	// Now is the clock; default time.Now. For tests.
	Now func() time.Time
}

// ErrTestIdP is returned by New for the development IdP's metadata when
// Config.AllowTestIdP is not set.
var ErrTestIdP = errors.New("saml: the IdP metadata is that of the ozgo test IdP (devidp); refusing it without AllowTestIdP")

// Provider is a SAML service provider for one IdP. It is safe for
// concurrent use.
type Provider struct {
	id, label string
	cfg       Config
	sp        crewjam.ServiceProvider // template; copied per call with the clock set
	ssoURL    string
	requested []RequestedAttribute
	idpEntity string
}

var _ identity.Provider = (*Provider)(nil)

// New checks cfg and builds the Provider.
func New(cfg Config) (*Provider, error) {
	if cfg.Key.Key == nil || cfg.Key.Certificate == nil {
		return nil, errors.New("saml: key and certificate are required")
	}
	base := strings.TrimRight(cfg.PublicURL, "/")
	if cfg.EntityID == "" {
		if base == "" {
			return nil, errors.New("saml: PublicURL or EntityID is required")
		}
		cfg.EntityID = base + "/saml/metadata"
	}
	if cfg.ACSURL == "" {
		if base == "" {
			return nil, errors.New("saml: PublicURL or ACSURL is required")
		}
		cfg.ACSURL = base + "/saml/acs"
	}
	acs, err := url.Parse(cfg.ACSURL)
	if err != nil || !acs.IsAbs() {
		return nil, fmt.Errorf("saml: ACS URL %q is not absolute", cfg.ACSURL)
	}
	ed, err := ParseIdPMetadata(cfg.IdPMetadata, cfg.IdPEntityID)
	if err != nil {
		return nil, err
	}
	if IsTestIdP(ed) && !cfg.AllowTestIdP {
		return nil, ErrTestIdP
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Provider{id: cfg.ID, label: cfg.Label, cfg: cfg, idpEntity: ed.EntityID}
	if p.id == "" {
		p.id = "bundid"
	}
	if p.label == "" {
		p.label = "BundID"
	}
	p.requested = cfg.RequestedAttributes
	if len(p.requested) == 0 {
		p.requested = DefaultRequestedAttributes()
	}
	md, _ := url.Parse(cfg.EntityID)
	p.sp = crewjam.ServiceProvider{
		EntityID:                         cfg.EntityID,
		Key:                              cfg.Key.Key,
		Certificate:                      cfg.Key.Certificate,
		MetadataURL:                      *md,
		AcsURL:                           *acs,
		IDPMetadata:                      ed,
		AuthnNameIDFormat:                crewjam.PersistentNameIDFormat,
		SignatureMethod:                  dsig.RSASHA256SignatureMethod,
		AssertionConsumerServiceBindings: []string{crewjam.HTTPPostBinding},
		// A SHA-1 signature is forgeable in practice by now; BundID signs
		// with RSA-SHA256.
		RejectSHA1Signatures: true,
	}
	p.ssoURL = p.sp.GetSSOBindingLocation(crewjam.HTTPPostBinding)
	if p.ssoURL == "" {
		return nil, errors.New("saml: the IdP metadata has no HTTP-POST SingleSignOnService")
	}
	return p, nil
}

// ID implements identity.Provider.
func (p *Provider) ID() string { return p.id }

// Label implements identity.Provider.
func (p *Provider) Label() string { return p.label }

// EntityID is the SP's entity ID (also the metadata URL by default).
func (p *Provider) EntityID() string { return p.cfg.EntityID }

// IdPEntityID is the entity ID of the trusted IdP.
func (p *Provider) IdPEntityID() string { return p.idpEntity }

// serviceProvider returns a copy of the crewjam SP whose clock is p's
// clock now, so tests can move time without touching crewjam's globals.
func (p *Provider) serviceProvider() *crewjam.ServiceProvider {
	sp := p.sp
	sp.Clock = dsig.NewFakeClockAt(p.cfg.Now())
	return &sp
}

// Metadata returns the SP metadata XML to publish at /saml/metadata and
// to register at the IdP: the certificate for signing and encryption, the
// ACS with HTTP-POST binding, AuthnRequestsSigned and WantAssertionsSigned.
func (p *Provider) Metadata() ([]byte, error) {
	sp := p.serviceProvider()
	sp.MetadataValidDuration = 7 * 24 * time.Hour
	b, err := xml.MarshalIndent(sp.Metadata(), "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), b...), nil
}

// ncName is the form of an xs:ID, which the AuthnRequest ID must be: the
// caller's request IDs must start with a letter or underscore.
var ncName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,127}$`)

// Begin implements identity.Provider: a signed AuthnRequest for the
// HTTP-POST binding, which is what BundID expects. requestID becomes the
// AuthnRequest ID, so it must be an xs:ID (start with a letter or "_").
func (p *Provider) Begin(ctx context.Context, requestID string, level identity.TrustLevel) (identity.Start, error) {
	if !ncName.MatchString(requestID) {
		return identity.Start{}, fmt.Errorf("saml: request ID %q is not an xs:ID", requestID)
	}
	if level < identity.Niedrig {
		level = identity.Niedrig
	}
	sp := p.serviceProvider()
	sp.SignatureMethod = "" // signed below, after the extension is added
	req, err := sp.MakeAuthenticationRequest(p.ssoURL, crewjam.HTTPPostBinding, crewjam.HTTPPostBinding)
	if err != nil {
		return identity.Start{}, err
	}
	req.ID = requestID
	// BundID asks for a minimum STORK QAA level (keycloak-extension-bundid
	// README: <saml2p:RequestedAuthnContext Comparison="minimum">
	// STORK-QAA-Level-3 ...).
	req.RequestedAuthnContext = &crewjam.RequestedAuthnContext{
		Comparison:            "minimum",
		AuthnContextClassRefs: []string{level.STORK()},
	}
	el := req.Element()
	insertAfterIssuer(el, p.akdbExtensions())
	signer, err := crewjam.GetSigningContext(&p.sp)
	if err != nil {
		return identity.Start{}, err
	}
	signed, err := signer.SignEnveloped(el)
	if err != nil {
		return identity.Start{}, err
	}
	// goxmldsig appends the Signature; the schema wants it right after
	// the Issuer. Moving it does not change what it signs (the
	// enveloped-signature transform removes it wherever it is).
	// goxmldsig does not set the Signature's parent, so etree's
	// RemoveChild would not find it; remove it by position.
	last := len(signed.Child) - 1
	sig, ok := signed.Child[last].(*etree.Element)
	if !ok || sig.Tag != "Signature" {
		return identity.Start{}, errors.New("saml: signature not where goxmldsig puts it")
	}
	signed.RemoveChildAt(last)
	insertAfterIssuer(signed, sig.Copy())
	doc := etree.NewDocument()
	doc.SetRoot(signed)
	b, err := doc.WriteToBytes()
	if err != nil {
		return identity.Start{}, err
	}
	return identity.Start{
		URL:    p.ssoURL,
		Post:   true,
		Fields: map[string]string{"SAMLRequest": base64.StdEncoding.EncodeToString(b)},
	}, nil
}

// akdbExtensions builds the samlp:Extensions with the BundID attribute
// request.
func (p *Provider) akdbExtensions() *etree.Element {
	ext := etree.NewElement("samlp:Extensions")
	ar := ext.CreateElement("akdb:AuthenticationRequest")
	ar.CreateAttr("xmlns:akdb", AKDBNamespace)
	ar.CreateAttr("Version", "2")
	ras := ar.CreateElement("akdb:RequestedAttributes")
	for _, a := range p.requested {
		ra := ras.CreateElement("akdb:RequestedAttribute")
		ra.CreateAttr("Name", a.Name)
		ra.CreateAttr("RequiredAttribute", fmt.Sprint(a.Required))
	}
	return ext
}

func insertAfterIssuer(parent, child *etree.Element) {
	for i, t := range parent.Child {
		if e, ok := t.(*etree.Element); ok && e.Tag == "Issuer" {
			parent.InsertChildAt(i+1, child)
			return
		}
	}
	parent.InsertChildAt(0, child)
}

// maxResponse bounds the SAMLResponse form value. BundID's responses with
// all attributes, encrypted, are around 20 KiB.
const maxResponse = 512 << 10

const protocolNS = "urn:oasis:names:tc:SAML:2.0:protocol"

func decodeResponse(form url.Values) ([]byte, error) {
	v := form["SAMLResponse"]
	if len(v) != 1 || v[0] == "" {
		return nil, errs.K(errs.Unauthorized, "login.error.invalid_answer")
	}
	if len(v[0]) > maxResponse*4/3+4 {
		return nil, errs.K(errs.Unauthorized, "login.error.invalid_answer")
	}
	// Some IdPs wrap the base64 text; StdEncoding does not allow that.
	b, err := base64.StdEncoding.DecodeString(strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, v[0]))
	if err != nil {
		return nil, &errs.Error{Code: errs.Unauthorized, Op: "saml.decode", Err: err, Message: "login.error.invalid_answer"}
	}
	return b, nil
}

// RequestID implements identity.Provider: it returns the InResponseTo of
// the Response, read without checking anything else.
func (p *Provider) RequestID(form url.Values) (string, error) {
	b, err := decodeResponse(form)
	if err != nil {
		return "", err
	}
	id, err := inResponseTo(b)
	if err != nil {
		return "", &errs.Error{Code: errs.Unauthorized, Op: "saml.RequestID", Err: err, Message: "login.error.invalid_answer"}
	}
	return id, nil
}

// inResponseTo reads the root element only: encoding/xml never resolves
// external entities, and stopping at the first element keeps the work
// bounded whatever follows.
func inResponseTo(b []byte) (string, error) {
	d := xml.NewDecoder(strings.NewReader(string(b)))
	for {
		tok, err := d.Token()
		if err != nil {
			return "", err
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if se.Name.Space != protocolNS || se.Name.Local != "Response" {
			return "", fmt.Errorf("root is %s %s, not a samlp:Response", se.Name.Space, se.Name.Local)
		}
		for _, a := range se.Attr {
			if a.Name.Space == "" && a.Name.Local == "InResponseTo" && a.Value != "" {
				return a.Value, nil
			}
		}
		return "", errors.New("response has no InResponseTo")
	}
}

// Finish implements identity.Provider. crewjam checks the signatures
// against the IdP certificates from the metadata, the Destination and
// Recipient against our ACS, the audience against our entity ID, the
// NotBefore/NotOnOrAfter window (with crewjam.MaxClockSkew), the Issuer,
// InResponseTo against p.ID and the status. crewjam accepts an unsigned
// assertion inside a signed Response; BundID signs the assertion and we
// require it (our metadata says WantAssertionsSigned), so the Response is
// checked a second time without its own signature, where crewjam insists
// on the assertion's.
func (p *Provider) Finish(ctx context.Context, form url.Values, pend identity.Pending) (identity.Assertion, error) {
	b, err := decodeResponse(form)
	if err != nil {
		return identity.Assertion{}, err
	}
	if pend.ID == "" {
		return identity.Assertion{}, errs.K(errs.Unauthorized, "login.error.invalid_answer")
	}
	sp := p.serviceProvider()
	a, err := sp.ParseXMLResponse(b, []string{pend.ID}, sp.AcsURL)
	if err != nil {
		return identity.Assertion{}, finishError("response", err)
	}
	stripped, err := withoutResponseSignature(b)
	if err != nil {
		return identity.Assertion{}, &errs.Error{Code: errs.Unauthorized, Op: "saml.Finish", Err: err, Message: "login.error.invalid_answer"}
	}
	a2, err := sp.ParseXMLResponse(stripped, []string{pend.ID}, sp.AcsURL)
	if err != nil {
		return identity.Assertion{}, finishError("assertion signature", err)
	}
	if a2.ID != a.ID {
		return identity.Assertion{}, &errs.Error{Code: errs.Unauthorized, Op: "saml.Finish", Err: errors.New("signed and unsigned reading differ"), Message: "login.error.invalid_answer"}
	}
	return p.assertion(a)
}

// finishError turns a crewjam error into an Unauthorized error. The cause
// is kept for the log; crewjam's InvalidResponseError carries the whole
// response (personal data), so only its private error is kept.
func finishError(stage string, err error) error {
	cause := err
	var ire *crewjam.InvalidResponseError
	if errors.As(err, &ire) && ire.PrivateErr != nil {
		cause = ire.PrivateErr
	}
	cause = fmt.Errorf("%s: %w", stage, cause)
	msg := "login.error.invalid_answer"
	var bad crewjam.ErrBadStatus
	if errors.As(cause, &bad) {
		msg = "login.error.idp_refused"
	}
	return &errs.Error{Code: errs.Unauthorized, Op: "saml.Finish", Err: cause, Message: msg}
}

// withoutResponseSignature removes the ds:Signature children of the root
// Response element.
func withoutResponseSignature(b []byte) ([]byte, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, err
	}
	root := doc.Root()
	if root == nil {
		return nil, errors.New("no root element")
	}
	for _, c := range root.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == dsig.Namespace {
			root.RemoveChild(c)
		}
	}
	return doc.WriteToBytes()
}

func (p *Provider) assertion(a *crewjam.Assertion) (identity.Assertion, error) {
	fail := func(why string) (identity.Assertion, error) {
		return identity.Assertion{}, &errs.Error{Code: errs.Unauthorized, Op: "saml.Finish", Err: errors.New(why), Message: "login.error.invalid_answer"}
	}
	values := map[string]string{}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			if len(at.Values) > 0 {
				if _, dup := values[at.Name]; !dup {
					values[at.Name] = strings.TrimSpace(at.Values[0].Value)
				}
			}
		}
	}
	out := identity.Assertion{Provider: p.id, ReplayID: a.ID}
	out.Subject = values[AttrBPK2]
	if out.Subject == "" && a.Subject != nil && a.Subject.NameID != nil {
		if f := a.Subject.NameID.Format; f == "" || f == string(crewjam.PersistentNameIDFormat) || f == string(crewjam.UnspecifiedNameIDFormat) {
			out.Subject = a.Subject.NameID.Value
		}
	}
	if out.Subject == "" {
		return fail("no bPK2 and no persistent NameID")
	}
	out.TrustLevel = trustLevel(a, values[AttrTrustLevel])
	if out.TrustLevel == identity.None {
		return fail("no trust level in the assertion")
	}
	out.Attributes = identity.Attributes{
		GivenName:    values[AttrGivenName],
		FamilyName:   values[AttrSurname],
		BirthName:    values[AttrBirthName],
		BirthDate:    isoDate(values[AttrBirthDate]),
		PlaceOfBirth: values[AttrPlaceOfBirth],
		Email:        values[AttrEmail],
		Street:       values[AttrStreet],
		PostalCode:   values[AttrPostalCode],
		City:         values[AttrCity],
		Country:      strings.ToUpper(values[AttrCountry]),
	}
	if a.Conditions != nil {
		out.ReplayUntil = a.Conditions.NotOnOrAfter
	}
	// The bearer confirmation may outlive the Conditions; keep the ID as
	// long as either would let the assertion through.
	if a.Subject != nil {
		for _, sc := range a.Subject.SubjectConfirmations {
			if d := sc.SubjectConfirmationData; d != nil && d.NotOnOrAfter.After(out.ReplayUntil) {
				out.ReplayUntil = d.NotOnOrAfter
			}
		}
	}
	if out.ReplayUntil.IsZero() {
		return fail("assertion without NotOnOrAfter")
	}
	out.ReplayUntil = out.ReplayUntil.Add(crewjam.MaxClockSkew)
	return out, nil
}

// trustLevel takes the lower of the trust-level attribute and the
// AuthnContextClassRef where both are given: they should agree, and if
// they do not, the weaker claim is the safe one.
func trustLevel(a *crewjam.Assertion, attr string) identity.TrustLevel {
	level := identity.None
	if l, ok := identity.ParseTrustLevel(attr); ok {
		level = l
	}
	for _, st := range a.AuthnStatements {
		if st.AuthnContext.AuthnContextClassRef == nil {
			continue
		}
		if l, ok := identity.ParseTrustLevel(strings.TrimSpace(st.AuthnContext.AuthnContextClassRef.Value)); ok {
			if level == identity.None || l < level {
				level = l
			}
		}
	}
	return level
}

// isoDate normalises a birth date to YYYY-MM-DD; BundID sends ISO dates,
// some Länder accounts DD.MM.YYYY. Anything else is passed through.
func isoDate(s string) string {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Format("2006-01-02")
	}
	if t, err := time.Parse("02.01.2006", s); err == nil {
		return t.Format("2006-01-02")
	}
	return s
}
