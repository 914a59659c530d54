package fitconnect

import (
	"encoding/base64"
	"encoding/json"
	"mime"
	"strings"

	"github.com/ozgo/ozgo/internal/errs"
)

// PayloadKind says which part of a submission a JWE carries; the rules
// for its content type differ.
type PayloadKind int

// The parts of a submission.
const (
	KindMetadata PayloadKind = iota
	KindData
	KindAttachment
)

func (k PayloadKind) field() string {
	switch k {
	case KindMetadata:
		return "encryptedMetadata"
	case KindData:
		return "encryptedData"
	default:
		return "attachment"
	}
}

// JWE algorithms FIT-Connect prescribes.
const (
	AlgKeyWrap = "RSA-OAEP-256"
	EncContent = "A256GCM"
	AlgSign    = "PS512"
)

// maxHeaderLen bounds the protected header so a hostile sender cannot
// make ozgo decode megabytes of JSON for nothing.
const maxHeaderLen = 4096

// jweHeader is the protected header of a JWE, as far as ozgo checks it.
type jweHeader struct {
	Alg  string          `json:"alg"`
	Enc  string          `json:"enc"`
	Kid  string          `json:"kid"`
	Cty  string          `json:"cty"`
	Zip  string          `json:"zip"`
	Crit json.RawMessage `json:"crit"`
}

// JWEInfo is what CheckJWE learns from a JWE without decrypting it.
type JWEInfo struct {
	Kid string
	Cty string
	// Tag is the authentication tag, the 5th segment, as sent.
	Tag string
}

// CheckJWE checks that s is a well-formed compact JWE as FIT-Connect
// requires: five base64url segments, a protected header with alg
// RSA-OAEP-256, enc A256GCM, the given kid (unless kid is ""), no
// compression, an encrypted key of keyBytes bytes (the modulus size of the
// destination's key; 0 skips the check), a 96-bit IV and a 128-bit tag.
// It never decrypts: the Zustelldienst cannot. Malformed input is
// BadRequest; a well-formed JWE for the wrong key or with forbidden
// parameters is Invalid.
func CheckJWE(s string, kind PayloadKind, kid string, keyBytes int) (JWEInfo, error) {
	field := kind.field()
	bad := func(msg string) (JWEInfo, error) {
		return JWEInfo{}, &errs.Error{Code: errs.BadRequest, Field: field, Message: msg}
	}
	invalid := func(msg string) (JWEInfo, error) {
		return JWEInfo{}, &errs.Error{Code: errs.Invalid, Field: field, Message: msg}
	}
	if s == "" {
		return bad("Die Nutzlast fehlt (erwartet: JWE in Compact Serialization).")
	}
	var seg [5]string
	rest := s
	for i := 0; i < 4; i++ {
		j := strings.IndexByte(rest, '.')
		if j < 0 {
			return bad("Die Nutzlast ist kein JWE in Compact Serialization (erwartet: fünf durch Punkte getrennte Teile).")
		}
		seg[i], rest = rest[:j], rest[j+1:]
	}
	if strings.IndexByte(rest, '.') >= 0 {
		return bad("Die Nutzlast ist kein JWE in Compact Serialization (erwartet: fünf durch Punkte getrennte Teile).")
	}
	seg[4] = rest
	for i, p := range seg {
		if !isBase64URL(p) {
			return bad("Ein Teil des JWE ist nicht base64url-kodiert.")
		}
		if p == "" && i != 3 {
			// Only the ciphertext may be empty (an empty plaintext).
			return bad("Ein Pflichtteil des JWE ist leer.")
		}
	}
	if len(seg[0]) > maxHeaderLen {
		return bad("Der Protected Header des JWE ist zu groß.")
	}
	hb, err := base64.RawURLEncoding.DecodeString(seg[0])
	if err != nil {
		return bad("Der Protected Header des JWE ist nicht base64url-kodiert.")
	}
	var h jweHeader
	if err := json.Unmarshal(hb, &h); err != nil {
		return bad("Der Protected Header des JWE ist kein JSON-Objekt.")
	}
	if h.Alg != AlgKeyWrap {
		return invalid("Das JWE muss mit alg RSA-OAEP-256 verschlüsselt sein.")
	}
	if h.Enc != EncContent {
		return invalid("Das JWE muss mit enc A256GCM verschlüsselt sein.")
	}
	if h.Zip != "" {
		return invalid("Komprimierte JWE (zip) sind nicht zulässig.")
	}
	if len(h.Crit) > 0 {
		return invalid("JWE mit kritischen Erweiterungen (crit) werden nicht unterstützt.")
	}
	if h.Kid == "" {
		return invalid("Der Protected Header des JWE nennt keine kid.")
	}
	if kid != "" && h.Kid != kid {
		return invalid("Das JWE ist nicht für den aktuellen Verschlüsselungsschlüssel des Zustellpunkts verschlüsselt (falsche kid).")
	}
	if h.Cty != "" {
		mt, _, err := mime.ParseMediaType(h.Cty)
		if err != nil {
			return invalid("Der Inhaltstyp (cty) des JWE ist kein gültiger Medientyp.")
		}
		switch kind {
		case KindMetadata:
			if mt != "application/json" {
				return invalid("Metadaten müssen den Inhaltstyp application/json haben.")
			}
		case KindData:
			if mt != "application/json" && mt != "application/xml" {
				return invalid("Fachdaten müssen den Inhaltstyp application/json oder application/xml haben.")
			}
		}
	}
	if keyBytes > 0 && base64.RawURLEncoding.DecodedLen(len(seg[1])) != keyBytes {
		return invalid("Der verschlüsselte Schlüssel des JWE passt nicht zur Schlüssellänge des Zustellpunkts.")
	}
	if base64.RawURLEncoding.DecodedLen(len(seg[2])) != 12 {
		return bad("Der Initialisierungsvektor des JWE muss 96 Bit lang sein.")
	}
	if base64.RawURLEncoding.DecodedLen(len(seg[4])) != 16 {
		return bad("Das Authentication Tag des JWE muss 128 Bit lang sein.")
	}
	return JWEInfo{Kid: h.Kid, Cty: h.Cty, Tag: seg[4]}, nil
}

// base64URLAlphabet marks the bytes of the unpadded base64url alphabet;
// a table lookup per byte keeps the check cheap for megabyte payloads.
var base64URLAlphabet = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = true
	}
	return t
}()

// isBase64URL reports whether s uses only the unpadded base64url alphabet
// and has a length that can encode whole bytes.
func isBase64URL(s string) bool {
	if len(s)%4 == 1 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !base64URLAlphabet[s[i]] {
			return false
		}
	}
	return true
}
