package httpapi

import (
	"testing"

	"github.com/ozgo/ozgo/internal/errs"
)

// FuzzDecodeJSON: request bodies of every shape decode or fail with
// BadRequest, never with a panic or an internal error.
func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"destinationId":"879ee109-a690-4db8-ab32-424284184d7d","announcedAttachments":[],"serviceType":{"identifier":"urn:de:fim:leika:leistung:1"}}`))
	f.Add([]byte(`{"status":"active","services":[{"identifier":"urn:a:b","regions":["DE08"],"submissionSchemas":[{"mimeType":"application/json","schemaUri":"https://x"}]}]}`))
	f.Add([]byte(`{"encryptedMetadata":5}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var cs createSubmissionIn
		var d destinationIn
		var s submitIn
		for _, v := range []any{&cs, &d, &s} {
			if err := DecodeJSON(body, v); err != nil && errs.CodeOf(err) != errs.BadRequest {
				t.Fatalf("code %s", errs.CodeOf(err))
			}
		}
		_ = d.input()
	})
}
