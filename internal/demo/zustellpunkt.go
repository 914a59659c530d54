package demo

// The demo's Zustellpunkt: a FIT-Connect destination of the tenant
// Tübingen that receives the applications of the demo online services
// from the Gemeinde Tübingen. Its private keys are written to the data
// directory, so a tester can pick submissions up with any FIT-Connect
// subscriber and decrypt them.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/go-jose/go-jose/v4"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/fim"
	"github.com/ozgo/ozgo/internal/fitconnect"
)

// ZustellpunktDir is the folder in the data directory that holds the demo
// destination's id and private keys.
const ZustellpunktDir = "demo-zustellpunkt"

// Zustellpunkt is what ZustellpunktDir/zustellpunkt.json records.
type Zustellpunkt struct {
	DestinationID string `json:"destinationId"`
	TenantID      string `json:"tenantId"`
	EncryptionKid string `json:"encryptionKid"`
	SigningKid    string `json:"signingKid"`
	// Files name the private keys (JWK) next to this file.
	EncryptionKeyFile string `json:"encryptionKeyFile"`
	SigningKeyFile    string `json:"signingKeyFile"`
}

// Key kids of the demo destination.
const (
	demoEncKid  = "demo-tuebingen-enc-1"
	demoSignKid = "demo-tuebingen-sig-1"
)

// LoadZustellpunkt makes sure the demo destination exists: on the first
// start it generates two RSA-4096 key pairs, writes the private keys to
// dataDir/demo-zustellpunkt (mode 0600), creates the destination for all
// demo online services in the Gemeinde Tübingen and activates it. Later
// starts find it by the id recorded there and leave it alone.
func LoadZustellpunkt(ctx context.Context, fc *fitconnect.Service, dataDir string) (*Zustellpunkt, error) {
	dir := filepath.Join(dataDir, ZustellpunktDir)
	file := filepath.Join(dir, "zustellpunkt.json")
	if raw, err := os.ReadFile(file); err == nil {
		var z Zustellpunkt
		if json.Unmarshal(raw, &z) == nil && z.DestinationID != "" {
			if _, err := fc.InternalDestination(ctx, z.DestinationID); err == nil {
				return &z, nil
			} else if !errs.Is(err, errs.NotFound) {
				return nil, err
			}
		}
		// Recorded but gone (a new database with an old directory): make a new one.
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("demo: read %s: %w", file, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	encKey, err := rsa.GenerateKey(rand.Reader, fitconnect.MinRSABits)
	if err != nil {
		return nil, err
	}
	sigKey, err := rsa.GenerateKey(rand.Reader, fitconnect.MinRSABits)
	if err != nil {
		return nil, err
	}
	z := &Zustellpunkt{TenantID: DemoTenant, EncryptionKid: demoEncKid, SigningKid: demoSignKid,
		EncryptionKeyFile: "encryption-private.jwk", SigningKeyFile: "signing-private.jwk"}
	if err := writePrivateJWK(filepath.Join(dir, z.EncryptionKeyFile), encKey, demoEncKid, fitconnect.AlgKeyWrap, "enc"); err != nil {
		return nil, err
	}
	if err := writePrivateJWK(filepath.Join(dir, z.SigningKeyFile), sigKey, demoSignKid, fitconnect.AlgSign, "sig"); err != nil {
		return nil, err
	}
	var services []fitconnect.DestinationService
	for _, s := range OnlineServices {
		id := fitconnect.LeikaPrefix + s.LeiKa
		schema := fitconnect.SubmissionSchema{MimeType: "application/json", SchemaURI: fim.SchemaID(s.FormID, s.FormVersion)}
		i := slices.IndexFunc(services, func(x fitconnect.DestinationService) bool { return x.Identifier == id })
		if i < 0 {
			services = append(services, fitconnect.DestinationService{Identifier: id, Regions: []string{"DE" + DemoGemeinde}})
			i = len(services) - 1
		}
		if !slices.Contains(services[i].SubmissionSchemas, schema) {
			services[i].SubmissionSchemas = append(services[i].SubmissionSchemas, schema)
		}
	}
	p := fitconnect.Principal{ClientID: "demo-tuebingen", TenantID: DemoTenant, Scopes: []string{fitconnect.ScopeCreateDestination}}
	enc := fitconnect.PublicJWK(&encKey.PublicKey, demoEncKid, fitconnect.AlgKeyWrap)
	sig := fitconnect.PublicJWK(&sigKey.PublicKey, demoSignKid, fitconnect.AlgSign)
	kid := demoEncKid
	d, err := fc.CreateDestination(ctx, p, fitconnect.DestinationInput{
		Contact: &fitconnect.ContactInformation{LegalName: "Bürgerbüro Tübingen (Demo)", Address: "Am Markt 1, 72070 Tübingen",
			Phone: "+49 7071 000000", Email: "buergerbuero@tuebingen.example", Unit: "Posteingang Onlinedienste"},
		Services: services, EncryptionKid: &kid, EncryptionPublicKey: &enc, SigningPublicKey: &sig,
		MetadataVersions: []string{"2.1.0"},
	})
	if err != nil {
		return nil, fmt.Errorf("demo: create destination: %w", err)
	}
	active := fitconnect.DestinationActive
	if _, err := fc.PatchDestination(ctx, p, d.ID, fitconnect.DestinationInput{Status: &active}); err != nil {
		return nil, fmt.Errorf("demo: activate destination: %w", err)
	}
	z.DestinationID = d.ID
	raw, err := json.MarshalIndent(z, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(file, append(raw, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return z, nil
}

func writePrivateJWK(path string, key *rsa.PrivateKey, kid, alg, use string) error {
	raw, err := jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg, Use: use}.MarshalJSON()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(raw, '\n'), 0o600); err != nil {
		return fmt.Errorf("demo: write key: %w", err)
	}
	return nil
}
