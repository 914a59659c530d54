package app

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ozgo/ozgo/internal/devidp"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/identity/oidc"
	"github.com/ozgo/ozgo/internal/identity/saml"
	"github.com/ozgo/ozgo/internal/web"
)

// SetupLogin builds the citizens' identity providers from the
// configuration: a SAML IdP (BundID profile) from --saml-idp-metadata and
// an OpenID Connect provider from --oidc-issuer. baseURL is ozgo's public
// base URL (the configured one, else the listen address). The development
// IdP is refused unless --allow-test-idp is set.
func (a *App) SetupLogin(ctx context.Context, baseURL string) error {
	base := strings.TrimSuffix(a.publicBase(baseURL), "/")
	login := &web.Identity{Service: a.Identity, Test: a.Cfg.AllowTestIdP}
	if a.Cfg.SAMLIdPMetadata != "" {
		md, err := saml.LoadMetadata(ctx, a.Cfg.SAMLIdPMetadata, 30*time.Second)
		if err != nil {
			return fmt.Errorf("SAML IdP metadata %s: %w", a.Cfg.SAMLIdPMetadata, err)
		}
		if err := a.addSAML(login, base, md); err != nil {
			return err
		}
	}
	if a.Cfg.OIDCIssuer != "" {
		if err := a.addOIDC(login, base, a.Cfg.OIDCIssuer, a.Cfg.OIDCClientID, a.Cfg.OIDCClientSecret); err != nil {
			return err
		}
	}
	if a.Cfg.StaffOIDCIssuer != "" {
		op, err := oidc.New(oidc.Config{ID: "mitarbeiter", Label: "Single Sign-on", IssuerURL: a.Cfg.StaffOIDCIssuer,
			ClientID: a.Cfg.StaffOIDCClientID, ClientSecret: a.Cfg.StaffOIDCClientSecret,
			RedirectURL: base + "/mitarbeiter/oidc/callback", DefaultTrustLevel: identity.Substantiell, AllowTestIdP: a.Cfg.AllowTestIdP})
		if err != nil {
			return fmt.Errorf("staff OIDC login: %w", err)
		}
		login.Staff, login.StaffIssuer = op, a.Cfg.StaffOIDCIssuer
		if o := httpx.OriginOf(a.Cfg.StaffOIDCIssuer); o != "" {
			login.FormOrigins = append(login.FormOrigins, o)
		}
	}
	a.Login = login
	return nil
}

func (a *App) publicBase(baseURL string) string {
	if a.Cfg.PublicURL != "" {
		return a.Cfg.PublicURL
	}
	return baseURL
}

func (a *App) addSAML(login *web.Identity, base string, idpMetadata []byte) error {
	host := base
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		host = u.Hostname()
	}
	key, err := saml.LoadOrCreateKeyPair(a.Cfg.DataDir, "saml-sp", host)
	if err != nil {
		return fmt.Errorf("SAML key: %w", err)
	}
	sp, err := saml.New(saml.Config{Label: a.Cfg.SAMLLabel, PublicURL: base, Key: key, IdPMetadata: idpMetadata, AllowTestIdP: a.Cfg.AllowTestIdP})
	if err != nil {
		return fmt.Errorf("SAML login: %w (for the development IdP, ozgo needs --allow-test-idp)", err)
	}
	login.Providers = append(login.Providers, sp)
	login.SAMLProvider = sp.ID()
	login.SAMLMetadata = sp.Metadata
	return nil
}

func (a *App) addOIDC(login *web.Identity, base, issuer, clientID, secret string) error {
	op, err := oidc.New(oidc.Config{Label: a.Cfg.OIDCLabel, IssuerURL: issuer, ClientID: clientID, ClientSecret: secret,
		PublicURL: base, AllowTestIdP: a.Cfg.AllowTestIdP})
	if err != nil {
		return fmt.Errorf("OIDC login: %w", err)
	}
	login.Providers = append(login.Providers, op)
	login.OIDCProvider = op.ID()
	if o := httpx.OriginOf(issuer); o != "" {
		login.FormOrigins = append(login.FormOrigins, o)
	}
	return nil
}

// SetupDemoLogin starts nothing itself: it creates the development IdP
// for devidpBase (the caller serves its Handler on its own port) and
// connects ozgo to it by SAML and OIDC, in-process, trusting it.
func (a *App) SetupDemoLogin(ctx context.Context, baseURL, devidpBase string) (*devidp.IdP, error) {
	a.Cfg.AllowTestIdP = true
	base := strings.TrimSuffix(a.publicBase(baseURL), "/")
	secret := identity.NewToken()
	login := &web.Identity{Service: a.Identity, Test: true}
	var sp func() ([]byte, error)
	idp, err := devidp.New(devidp.Options{
		PublicURL: devidpBase,
		KeyDir:    a.Cfg.DataDir,
		SPMetadata: func(context.Context) ([]byte, error) {
			if sp == nil {
				return nil, fmt.Errorf("ozgo not ready")
			}
			return sp()
		},
		OIDCClients: []devidp.OIDCClient{{ID: "ozgo", Secret: secret, RedirectURIs: []string{base + "/oidc/callback"}}},
		Logger:      a.Log,
	})
	if err != nil {
		return nil, err
	}
	md, err := idp.SAMLMetadata()
	if err != nil {
		return nil, err
	}
	if err := a.addSAML(login, base, md); err != nil {
		return nil, err
	}
	sp = login.SAMLMetadata
	if err := a.addOIDC(login, base, idp.Issuer(), "ozgo", secret); err != nil {
		return nil, err
	}
	a.Login = login
	return idp, nil
}
