package inbox

// Setting up a tenant's built-in workspace. An authority without a
// Fachverfahren does not bring a FIT-Connect destination of its own: ozgo
// creates one for the tenant, generates its two key pairs (RSA-4096,
// RSA-OAEP-256 for encryption and PS512 for signing, as the FIT-Connect
// Submission API requires of destination keys), publishes the public keys
// with the destination, and seals the private keys under the tenant key of
// the tenant admin's session (StoreKeys). No private key is ever written
// anywhere else. The workspace then subscribes to the destination (pickup
// in pickup.go). Each Leistung the tenant activates with delivery to the
// workspace is added to the destination's services, for the tenant's area.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/fitconnect"
	"github.com/ozgo/ozgo/internal/identity"
)

// Offer is a Leistung the workspace takes applications of.
type Offer struct {
	LeiKa     string // 14-digit LeiKa key
	SchemaURI string // JSON Schema of the form data ("" for none)
	Region    string // ARS of the area, e.g. the tenant's Kreis
}

// Workspace returns the destination the tenant's workspace works, "" when
// the tenant has none.
func (s *Service) Workspace(ctx context.Context, tenant string) (string, error) {
	var id string
	err := s.DB.QueryRowContext(ctx, `SELECT destination_id FROM inbox_keys WHERE tenant_id = ? ORDER BY created_at DESC, destination_id LIMIT 1`, tenant).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// Offers reports whether the tenant's workspace destination is active and
// takes applications of the Leistung leika.
func (s *Service) Offers(ctx context.Context, tenant, leika string) (bool, error) {
	id, err := s.Workspace(ctx, tenant)
	if err != nil || id == "" || s.FC == nil {
		return false, err
	}
	d, err := s.FC.InternalDestination(ctx, id)
	if errs.Is(err, errs.NotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	urn := fitconnect.LeikaPrefix + leika
	return d.Status == fitconnect.DestinationActive && slices.ContainsFunc(d.Services, func(x fitconnect.DestinationService) bool { return x.Identifier == urn }), nil
}

// owner is the principal ozgo acts as on the tenant's workspace
// destination: it creates it for the tenant and manages it (also one the
// tenant's keys were stored for by other means, such as the demo's).
func owner(tenant, dest string) fitconnect.Principal {
	scopes := []string{fitconnect.ScopeCreateDestination}
	if dest != "" {
		scopes = append(scopes, fitconnect.ScopeManage+dest)
	}
	return fitconnect.Principal{ClientID: "ozgo-sachbearbeitung", TenantID: tenant, Scopes: scopes}
}

// Prepare makes the tenant's workspace take applications of offer: it
// sets the workspace up when the tenant has none (contact names the
// authority for senders and applicants), and adds the Leistung to its
// destination. Setting up needs the tenant key of the actor's session
// (ErrKeyLocked without); adding a Leistung does not. a must manage the
// tenant.
func (s *Service) Prepare(ctx context.Context, a *identity.Actor, tenant string, contact fitconnect.ContactInformation, offer Offer) error {
	if err := identity.Authorize(a, identity.ActionManage, identity.Object{Type: "destination", TenantID: tenant}); err != nil {
		return err
	}
	if s.FC == nil {
		return errs.Wrap(errs.Internal, "inbox.Prepare", errors.New("no Zustelldienst"), "")
	}
	service := fitconnect.DestinationService{Identifier: fitconnect.LeikaPrefix + offer.LeiKa, Regions: []string{"DE" + offer.Region}}
	if offer.SchemaURI != "" {
		service.SubmissionSchemas = []fitconnect.SubmissionSchema{{MimeType: "application/json", SchemaURI: offer.SchemaURI}}
	}
	id, err := s.Workspace(ctx, tenant)
	if err != nil {
		return err
	}
	if id == "" {
		_, err := s.setUp(ctx, a, tenant, contact, service)
		return err
	}
	d, err := s.FC.InternalDestination(ctx, id)
	if err != nil {
		return err
	}
	services := slices.Clone(d.Services)
	i := slices.IndexFunc(services, func(x fitconnect.DestinationService) bool { return x.Identifier == service.Identifier })
	switch {
	case i < 0:
		services = append(services, service)
	default:
		changed := false
		for _, r := range service.Regions {
			if !slices.Contains(services[i].Regions, r) {
				services[i].Regions, changed = append(slices.Clone(services[i].Regions), r), true
			}
		}
		for _, sc := range service.SubmissionSchemas {
			if !slices.Contains(services[i].SubmissionSchemas, sc) {
				services[i].SubmissionSchemas, changed = append(slices.Clone(services[i].SubmissionSchemas), sc), true
			}
		}
		if !changed && d.Status == fitconnect.DestinationActive {
			return nil
		}
	}
	active := fitconnect.DestinationActive
	if _, err := s.FC.PatchDestination(ctx, owner(tenant, id), id, fitconnect.DestinationInput{Services: services, Status: &active}); err != nil {
		return fmt.Errorf("inbox: add %s to the workspace destination: %w", offer.LeiKa, err)
	}
	return nil
}

// setUp creates the tenant's workspace destination with its first
// service and stores its private keys under the tenant key.
func (s *Service) setUp(ctx context.Context, a *identity.Actor, tenant string, contact fitconnect.ContactInformation, service fitconnect.DestinationService) (string, error) {
	if a.TenantKey == nil {
		return "", ErrKeyLocked
	}
	encKey, err := rsa.GenerateKey(rand.Reader, fitconnect.MinRSABits)
	if err != nil {
		return "", err
	}
	sigKey, err := rsa.GenerateKey(rand.Reader, fitconnect.MinRSABits)
	if err != nil {
		return "", err
	}
	encKid, sigKid := "eingang-"+tenant+"-enc-"+uuid()[:8], "eingang-"+tenant+"-sig-"+uuid()[:8]
	encPub := fitconnect.PublicJWK(&encKey.PublicKey, encKid, fitconnect.AlgKeyWrap)
	sigPub := fitconnect.PublicJWK(&sigKey.PublicKey, sigKid, fitconnect.AlgSign)
	if strings.TrimSpace(contact.Unit) == "" {
		contact.Unit = "Posteingang Onlinedienste (ozgo-Sachbearbeitung)"
	}
	d, err := s.FC.CreateDestination(ctx, owner(tenant, ""), fitconnect.DestinationInput{
		Contact: &contact, Services: []fitconnect.DestinationService{service},
		EncryptionKid: &encKid, EncryptionPublicKey: &encPub, SigningPublicKey: &sigPub,
		MetadataVersions: []string{"2.1.0"},
	})
	if err != nil {
		return "", err
	}
	encJWK, err := jose.JSONWebKey{Key: encKey, KeyID: encKid, Algorithm: fitconnect.AlgKeyWrap, Use: "enc"}.MarshalJSON()
	if err != nil {
		return "", err
	}
	sigJWK, err := jose.JSONWebKey{Key: sigKey, KeyID: sigKid, Algorithm: fitconnect.AlgSign, Use: "sig"}.MarshalJSON()
	if err != nil {
		return "", err
	}
	// The keys first, then switch the destination on: an active
	// destination whose keys ozgo does not hold would take applications
	// nobody can open.
	if err := s.StoreKeys(ctx, a.ID(), a.TenantKey, d.ID, tenant, encJWK, sigJWK); err != nil {
		return "", err
	}
	active := fitconnect.DestinationActive
	if _, err := s.FC.PatchDestination(ctx, owner(tenant, d.ID), d.ID, fitconnect.DestinationInput{Status: &active}); err != nil {
		return "", err
	}
	return d.ID, nil
}
