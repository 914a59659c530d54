package devidp

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"

	"github.com/ozgo/ozgo/internal/identity"
)

// Person is a test person the tester can log in as. All persons are
// invented; their e-mail addresses are under example.org.
type Person struct {
	// Key names the person in the form and in tests ("anna").
	Key string
	identity.Attributes
	// BPK2 is the fake bereichsspezifisches Personenkennzeichen sent as
	// the BundID subject attribute.
	BPK2 string
	// Sub is the OIDC subject.
	Sub string
}

// fakeID derives a stable identifier that looks like the real thing (the
// bPK2 is a base64 encoded hash) without belonging to anyone.
func fakeBPK2(key string) string {
	h := sha256.Sum256([]byte("ozgo-devidp bPK2 " + key))
	return base64.StdEncoding.EncodeToString(h[:])
}

func fakeSub(key string) string {
	h := sha256.Sum256([]byte("ozgo-devidp sub " + key))
	return hex.EncodeToString(h[:16])
}

func person(key string, a identity.Attributes) Person {
	return Person{Key: key, Attributes: a, BPK2: fakeBPK2(key), Sub: fakeSub(key)}
}

// DefaultPersons are the four invented test persons: two in Tübingen, two
// in Berlin, of different ages, one with a birth name and one with a
// non-ASCII name, so forms and letters get exercised.
func DefaultPersons() []Person {
	return []Person{
		person("anna", identity.Attributes{
			GivenName: "Anna", FamilyName: "Schäfer", BirthDate: "1985-03-14", PlaceOfBirth: "Reutlingen",
			Email: "anna.schaefer@example.org", Street: "Neckarhalde 12", PostalCode: "72070", City: "Tübingen", Country: "DE",
		}),
		person("mehmet", identity.Attributes{
			GivenName: "Mehmet", FamilyName: "Yılmaz", BirthDate: "1978-11-02", PlaceOfBirth: "Berlin",
			Email: "mehmet.yilmaz@example.org", Street: "Oranienstraße 25", PostalCode: "10999", City: "Berlin", Country: "DE",
		}),
		person("lena", identity.Attributes{
			GivenName: "Lena", FamilyName: "Vogt", BirthDate: "2001-07-23", PlaceOfBirth: "Tübingen",
			Email: "lena.vogt@example.org", Street: "Wilhelmstraße 5", PostalCode: "72074", City: "Tübingen", Country: "DE",
		}),
		person("karl-heinz", identity.Attributes{
			GivenName: "Karl-Heinz", FamilyName: "Brandt-Okafor", BirthName: "Brandt", BirthDate: "1952-01-30", PlaceOfBirth: "Leipzig",
			Email: "kh.brandt@example.org", Street: "Karl-Marx-Allee 90", PostalCode: "10243", City: "Berlin", Country: "DE",
		}),
	}
}

// BirthDateDE is the birth date as Germans write it, for the choice page.
func (p Person) BirthDateDE() string {
	t, err := time.Parse("2006-01-02", p.BirthDate)
	if err != nil {
		return p.BirthDate
	}
	return t.Format("02.01.2006")
}
