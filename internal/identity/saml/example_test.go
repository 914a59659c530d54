package saml_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/ozgo/ozgo/internal/devidp"
	"github.com/ozgo/ozgo/internal/identity"
	ozsaml "github.com/ozgo/ozgo/internal/identity/saml"
)

// Example shows how the web layer wires the SP: the key pair from the data
// directory, the IdP metadata from a file or URL (here the in-process
// devidp of "ozgo demo"), /saml/metadata serving Metadata, and /saml/acs
// passing the POSTed form to RequestID (to find the pending request) and
// then to Finish.
func Example() {
	ctx := context.Background()
	dataDir := exampleDir()
	kp, err := ozsaml.LoadOrCreateKeyPair(dataDir, "saml-sp", "ozgo.example SAML SP")
	if err != nil {
		panic(err)
	}

	// ozgo demo: the devidp mounted below /devidp on ozgo's own port.
	var sp *ozsaml.Provider
	idp, err := devidp.New(devidp.Options{
		PublicURL:  "http://127.0.0.1:8080/devidp",
		SPMetadata: func(context.Context) ([]byte, error) { return sp.Metadata() },
	})
	if err != nil {
		panic(err)
	}
	md, err := idp.SAMLMetadata() // production: ozsaml.LoadMetadata(ctx, cfg.BundIDMetadata, 30*time.Second)
	if err != nil {
		panic(err)
	}
	sp, err = ozsaml.New(ozsaml.Config{
		PublicURL:    "http://127.0.0.1:8080",
		Key:          kp,
		IdPMetadata:  md,
		AllowTestIdP: true, // only for the demo
	})
	if err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	mux.Handle("/devidp/", idp.Handler())
	mux.HandleFunc("GET /saml/metadata", func(w http.ResponseWriter, r *http.Request) {
		b, err := sp.Metadata()
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		_, _ = w.Write(b)
	})
	mux.HandleFunc("POST /saml/acs", func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		id, err := sp.RequestID(r.PostForm)
		if err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		pending := lookUpAndDeletePending(id) // the session store's job
		a, err := sp.Finish(r.Context(), r.PostForm, pending)
		if err != nil || a.TrustLevel < pending.TrustLevel {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		// Record a.ReplayID until a.ReplayUntil (refuse if seen), then
		// log in the person identified by (a.Provider, a.Subject).
	})

	// Begin: render start.Fields as an auto-submitted POST form to start.URL.
	start, err := sp.Begin(ctx, "_"+"0123456789abcdef", identity.Substantiell)
	if err != nil {
		panic(err)
	}
	fmt.Println(start.Post, start.URL)
	// Output: true http://127.0.0.1:8080/devidp/saml/sso
}

func lookUpAndDeletePending(id string) identity.Pending {
	return identity.Pending{ID: id, Provider: "bundid", TrustLevel: identity.Substantiell, Expires: time.Now().Add(10 * time.Minute)}
}
