package fitconnect

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/ozgo/ozgo/internal/errs"
)

const sampleJWE = "eyJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAtMjU2In0.nlXGAufYH36IABDy0En0LXEhGfC20IZSSchs27ADalHpRoTZKfXhc7hcMk8Y9V8yTP0jYbmrq6NtEg-QS2O5TQFD9Hluhpb631PBgKjPXHYX1Y6iUcR1sXxSUPjePi8F8PcZUZuUJLnhz6myyc9scdAq9BXG2cDJVgkfLI8eZdrqnrY24Hh32_7d5OKLFSpSDrBlqfyQuY8Wbs2h8Wy4Z4hwT1aWDO7b-SqJA181hUbNcF_rR4Mze3Fdtu-3uOIQYgLBBRmN1ZHDLk0EKNCI4B8MyDKLGPoM0ZomV5lVwVWjAMRI4CgQkIQ9rnm-Adof-GbegQL3yJSoNIWRWgzCnZBYZ638QgPllCMVW3WvEVvsgj0Hj16PbofqXTQ5S73LINfP6FZawfC0yMrYjSV_N2L0Lkp2KI3BkJcy-PcFhBnhwu2IsJGAlyDRCnXdVqig8m5yLHuSMQTpLW69LzPEskfsjhnNDR-CEBZpicjMfc-4CL6U7E7YoGc_99DzE5U5._JfqyKH23GiKsnDW.ZtMMjZ3GgcgHss8qbFRhrjl4L0kAfbco-oXICkk.VBHJ00FyDTYjOA_OYfiz5g"

// FuzzCheckJWE: any input gets a clean answer, never a panic, and every
// rejection is a client error (BadRequest or Invalid), never Internal.
func FuzzCheckJWE(f *testing.F) {
	hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"k1","cty":"application/json"}`))
	f.Add(sampleJWE, "")
	f.Add(hdr+".AAAA.AAAAAAAAAAAAAAAA..AAAAAAAAAAAAAAAAAAAAAA", "k1")
	f.Add("a.b.c.d.e", "k")
	f.Add("....", "")
	f.Add(hdr+"."+strings.Repeat("A", 683)+".AAAAAAAAAAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA", "k1")
	f.Fuzz(func(t *testing.T, s, kid string) {
		for _, kind := range []PayloadKind{KindMetadata, KindData, KindAttachment} {
			info, err := CheckJWE(s, kind, kid, 0)
			if err != nil {
				if c := errs.CodeOf(err); c != errs.BadRequest && c != errs.Invalid {
					t.Fatalf("code %s for %q", c, s)
				}
				continue
			}
			if strings.Count(s, ".") != 4 || info.Tag == "" || (kid != "" && info.Kid != kid) {
				t.Fatalf("accepted %q: %+v", s, info)
			}
		}
	})
}

func TestCheckJWESample(t *testing.T) {
	// The spec's example has no kid: well-formed, but not acceptable.
	if _, err := CheckJWE(sampleJWE, KindMetadata, "", 0); !errs.Is(err, errs.Invalid) {
		t.Fatalf("spec example without kid: %v", err)
	}
}
