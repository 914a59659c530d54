package saml

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// KeyPair is an RSA key with its self-signed certificate. SAML federations
// (BundID included) trust the certificate in the metadata, not a CA, so a
// self-signed certificate is what is expected.
type KeyPair struct {
	Key         *rsa.PrivateKey
	Certificate *x509.Certificate
}

// NewKeyPair makes an RSA-3072 key and a self-signed certificate for
// commonName, valid for ten years (a key rollover in SAML means publishing
// new metadata to the IdP, which is done rarely and by hand).
func NewKeyPair(commonName string) (KeyPair, error) {
	key, err := rsa.GenerateKey(rand.Reader, 3072)
	if err != nil {
		return KeyPair{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return KeyPair{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return KeyPair{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return KeyPair{}, err
	}
	return KeyPair{Key: key, Certificate: cert}, nil
}

// LoadOrCreateKeyPair reads DIR/NAME.key (PKCS#8 PEM) and DIR/NAME.crt
// (PEM) or, when neither exists, creates both with NewKeyPair. Files are
// written with mode 0600 through a temporary file and a rename, so a crash
// never leaves half a key behind. One file without the other is an error:
// silently replacing a key would break the registration at the IdP.
func LoadOrCreateKeyPair(dir, name, commonName string) (KeyPair, error) {
	keyPath := filepath.Join(dir, name+".key")
	certPath := filepath.Join(dir, name+".crt")
	keyPEM, kerr := os.ReadFile(keyPath)
	certPEM, cerr := os.ReadFile(certPath)
	switch {
	case kerr == nil && cerr == nil:
		return ParseKeyPair(keyPEM, certPEM)
	case errors.Is(kerr, fs.ErrNotExist) && errors.Is(cerr, fs.ErrNotExist):
	case kerr != nil && !errors.Is(kerr, fs.ErrNotExist):
		return KeyPair{}, kerr
	case cerr != nil && !errors.Is(cerr, fs.ErrNotExist):
		return KeyPair{}, cerr
	default:
		return KeyPair{}, fmt.Errorf("saml: only one of %s and %s exists; restore the other or remove both", keyPath, certPath)
	}
	kp, err := NewKeyPair(commonName)
	if err != nil {
		return KeyPair{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(kp.Key)
	if err != nil {
		return KeyPair{}, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return KeyPair{}, err
	}
	// The certificate is written first: a key without a certificate could
	// be re-certified, but LoadOrCreateKeyPair refuses either half alone.
	if err := writeFileAtomic(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: kp.Certificate.Raw})); err != nil {
		return KeyPair{}, err
	}
	if err := writeFileAtomic(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return KeyPair{}, err
	}
	return kp, nil
}

// ParseKeyPair reads a PEM private key (PKCS#8 or PKCS#1, RSA) and a PEM
// certificate and checks that they belong together.
func ParseKeyPair(keyPEM, certPEM []byte) (KeyPair, error) {
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return KeyPair{}, errors.New("saml: no PEM block in key file")
	}
	var key *rsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(kb.Bytes); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return KeyPair{}, fmt.Errorf("saml: key is %T, want RSA (XML encryption needs RSA)", k)
		}
		key = rk
	} else if rk, err2 := x509.ParsePKCS1PrivateKey(kb.Bytes); err2 == nil {
		key = rk
	} else {
		return KeyPair{}, fmt.Errorf("saml: parse key: %w", err)
	}
	cb, _ := pem.Decode(certPEM)
	if cb == nil {
		return KeyPair{}, errors.New("saml: no PEM block in certificate file")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return KeyPair{}, fmt.Errorf("saml: parse certificate: %w", err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return KeyPair{}, errors.New("saml: certificate does not match the key")
	}
	return KeyPair{Key: key, Certificate: cert}, nil
}

func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
