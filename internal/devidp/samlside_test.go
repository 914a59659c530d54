package devidp_test

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"

	crewjam "github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ozgo/ozgo/internal/devidp"
	ozsaml "github.com/ozgo/ozgo/internal/identity/saml"
)

// A signed HTTP-Redirect AuthnRequest from crewjam's own SP is accepted
// when its signature is good and refused when it is not.
func TestSAMLRedirectBinding(t *testing.T) {
	kp, err := ozsaml.NewKeyPair("sp")
	if err != nil {
		t.Fatal(err)
	}
	acs, _ := url.Parse("https://sp.example/acs")
	md, _ := url.Parse("https://sp.example/metadata")
	sp := &crewjam.ServiceProvider{
		Key: kp.Key, Certificate: kp.Certificate, AcsURL: *acs, MetadataURL: *md,
		SignatureMethod: dsig.RSASHA256SignatureMethod,
	}
	idp, _ := startIdP(t, devidp.Options{SPMetadata: func(context.Context) ([]byte, error) { return xml.Marshal(sp.Metadata()) }}, "")
	idpMD, err := idp.SAMLMetadata()
	if err != nil {
		t.Fatal(err)
	}
	var ed crewjam.EntityDescriptor
	if err := xml.Unmarshal(idpMD, &ed); err != nil {
		t.Fatal(err)
	}
	sp.IDPMetadata = &ed
	u, err := sp.MakeRedirectAuthenticationRequest("relay")
	if err != nil {
		t.Fatal(err)
	}
	if u.Query().Get("Signature") == "" {
		t.Fatal("request not signed")
	}
	c := newClient(t)
	resp, err := c.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, resp)
	if !strings.Contains(page, "https://sp.example/metadata") {
		t.Error("choice page does not name the SP")
	}
	// Change one character of the signature, keeping the query's order
	// (the signature covers the query as sent).
	raw := []byte(u.RawQuery)
	i := strings.Index(u.RawQuery, "Signature=") + len("Signature=") + 5
	if raw[i] == 'A' {
		raw[i] = 'B'
	} else {
		raw[i] = 'A'
	}
	u.RawQuery = string(raw)
	resp, err = c.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad signature: HTTP %d", resp.StatusCode)
	}
}
