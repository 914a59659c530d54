package fitconnect

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"math/big"
	"slices"

	"github.com/go-jose/go-jose/v4"

	"github.com/ozgo/ozgo/internal/errs"
)

// MinRSABits is the smallest modulus FIT-Connect accepts for destination keys.
const MinRSABits = 4096

// keyUse says what a destination key is for.
type keyUse int

const (
	useEncryption keyUse = iota
	useSignature
	useEither
)

// validateJWK checks a destination's public key: RSA, at least 4096 bits,
// exponent AQAB, and alg and key_ops that match the use (RSA-OAEP-256 with
// ["wrapKey"] for encryption, PS512 with ["verify"] for signatures). An
// x5c chain is optional; when given, its first certificate must carry the
// same public key. field names the input for the problem answer.
func validateJWK(k *JWK, use keyUse, field string) (*rsa.PublicKey, error) {
	fail := func(msg string) (*rsa.PublicKey, error) {
		return nil, errs.FieldError(field, msg)
	}
	if k == nil {
		return fail("Der Schlüssel fehlt.")
	}
	if k.Kty != "RSA" {
		return fail("Nur RSA-Schlüssel (kty RSA) sind zulässig.")
	}
	if len(k.Kid) < 8 || len(k.Kid) > 64 {
		return fail("Die kid des Schlüssels muss 8 bis 64 Zeichen lang sein.")
	}
	if use == useEither {
		use = useSignature
		if k.Alg == AlgKeyWrap {
			use = useEncryption
		}
	}
	switch use {
	case useEncryption:
		if k.Alg != AlgKeyWrap {
			return fail("Ein Verschlüsselungsschlüssel muss alg RSA-OAEP-256 haben.")
		}
		if !slices.Equal(k.KeyOps, []string{"wrapKey"}) {
			return fail(`Ein Verschlüsselungsschlüssel muss key_ops ["wrapKey"] haben.`)
		}
	case useSignature:
		if k.Alg != AlgSign {
			return fail("Ein Signaturschlüssel muss alg PS512 haben.")
		}
		if !slices.Equal(k.KeyOps, []string{"verify"}) {
			return fail(`Ein Signaturschlüssel muss key_ops ["verify"] haben.`)
		}
	}
	if k.E != "AQAB" {
		return fail("Der öffentliche Exponent (e) muss AQAB sein.")
	}
	nb, err := base64.RawURLEncoding.DecodeString(k.N)
	if err != nil || len(nb) == 0 {
		return fail("Der Modulus (n) ist nicht base64url-kodiert.")
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: 65537}
	if pub.N.BitLen() < MinRSABits {
		return fail("Der Schlüssel muss mindestens 4096 Bit lang sein.")
	}
	if len(k.X5c) > 0 {
		der, err := base64.StdEncoding.DecodeString(k.X5c[0])
		if err != nil {
			return fail("Das erste Zertifikat in x5c ist nicht base64-kodiert.")
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return fail("Das erste Zertifikat in x5c ist kein X.509-Zertifikat.")
		}
		cpub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok || !cpub.Equal(pub) {
			return fail("Das Zertifikat in x5c passt nicht zum Schlüssel.")
		}
	}
	return pub, nil
}

// rsaPublic reads the public key of a stored, already validated JWK.
func rsaPublic(k JWK) (*rsa.PublicKey, bool) {
	nb, err := base64.RawURLEncoding.DecodeString(k.N)
	if err != nil || len(nb) == 0 {
		return nil, false
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: 65537}, true
}

// PublicJWK renders an RSA public key the way FIT-Connect exchanges keys.
func PublicJWK(pub *rsa.PublicKey, kid, alg string) JWK {
	ops := []string{"verify"}
	if alg == AlgKeyWrap {
		ops = []string{"wrapKey"}
	}
	return JWK{
		Kty: "RSA", KeyOps: ops, Alg: alg, Kid: kid,
		N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}
}

// Encrypt encrypts plaintext for a destination's encryption key the way a
// FIT-Connect sender must: RSA-OAEP-256 key wrapping, A256GCM content
// encryption, the key's kid and the content type cty in the protected
// header. It returns the compact serialization. ozgo's own form engine
// uses it on the sender side; the Zustelldienst itself never decrypts.
func Encrypt(plaintext []byte, key JWK, cty string) (string, error) {
	if _, err := validateJWK(&key, useEncryption, "encryptionPublicKey"); err != nil {
		return "", err
	}
	pub, _ := rsaPublic(key)
	opts := (&jose.EncrypterOptions{}).WithContentType(jose.ContentType(cty))
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: pub, KeyID: key.Kid}, opts)
	if err != nil {
		return "", errs.Wrap(errs.Internal, "fitconnect.Encrypt", err, "")
	}
	obj, err := enc.Encrypt(plaintext)
	if err != nil {
		return "", errs.Wrap(errs.Internal, "fitconnect.Encrypt", err, "")
	}
	return obj.CompactSerialize()
}
