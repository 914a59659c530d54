package saml

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	crewjam "github.com/crewjam/saml"
)

// maxMetadata bounds IdP metadata read from a file or URL. BundID's
// metadata is a few KiB; federation aggregates are not supported here.
const maxMetadata = 4 << 20

// LoadMetadata reads IdP metadata from an http(s) URL (fetched with
// timeout; zero means 30 seconds) or from a file path.
func LoadMetadata(ctx context.Context, source string, timeout time.Duration) ([]byte, error) {
	if !strings.HasPrefix(source, "http://") && !strings.HasPrefix(source, "https://") {
		f, err := os.Open(source)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return readLimited(f)
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, source, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml;q=0.9, */*;q=0.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("saml: fetch metadata: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("saml: fetch metadata %s: HTTP %d", source, resp.StatusCode)
	}
	return readLimited(resp.Body)
}

func readLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxMetadata+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxMetadata {
		return nil, errors.New("saml: metadata larger than 4 MiB")
	}
	return b, nil
}

// ParseIdPMetadata reads an EntityDescriptor, or an EntitiesDescriptor
// holding it, and returns the IdP entity: the one named entityID, or the
// only one with an IDPSSODescriptor when entityID is empty.
func ParseIdPMetadata(data []byte, entityID string) (*crewjam.EntityDescriptor, error) {
	data = bytes.TrimSpace(data)
	var ed crewjam.EntityDescriptor
	if err := xml.Unmarshal(data, &ed); err == nil {
		if entityID != "" && ed.EntityID != entityID {
			return nil, fmt.Errorf("saml: metadata is for %q, not %q", ed.EntityID, entityID)
		}
		if len(ed.IDPSSODescriptors) == 0 {
			return nil, errors.New("saml: metadata has no IDPSSODescriptor")
		}
		return &ed, nil
	}
	var eds crewjam.EntitiesDescriptor
	if err := xml.Unmarshal(data, &eds); err != nil {
		return nil, fmt.Errorf("saml: parse metadata: %w", err)
	}
	var found []*crewjam.EntityDescriptor
	var walk func(*crewjam.EntitiesDescriptor)
	walk = func(d *crewjam.EntitiesDescriptor) {
		for i := range d.EntityDescriptors {
			e := &d.EntityDescriptors[i]
			if len(e.IDPSSODescriptors) > 0 && (entityID == "" || e.EntityID == entityID) {
				found = append(found, e)
			}
		}
		for i := range d.EntitiesDescriptors {
			walk(&d.EntitiesDescriptors[i])
		}
	}
	walk(&eds)
	switch len(found) {
	case 0:
		return nil, errors.New("saml: no matching IdP in metadata")
	case 1:
		return found[0], nil
	}
	return nil, errors.New("saml: metadata holds several IdPs; set the IdP entity ID")
}

// IsTestIdP reports whether metadata describes ozgo's development IdP: its
// entity ID ends with TestEntitySuffix or an md:Extensions carries the
// <ozgo:TestSystem/> element.
func IsTestIdP(ed *crewjam.EntityDescriptor) bool {
	if strings.HasSuffix(ed.EntityID, TestEntitySuffix) {
		return true
	}
	if hasTestMark(ed.Extensions) {
		return true
	}
	for _, d := range ed.IDPSSODescriptors {
		if hasTestMark(d.Extensions) {
			return true
		}
	}
	return false
}

func hasTestMark(x *crewjam.Extensions) bool {
	if x == nil {
		return false
	}
	for _, el := range x.Other {
		if el.XMLName.Space == TestSystemNamespace && el.XMLName.Local == TestSystemElement {
			return true
		}
	}
	return false
}
