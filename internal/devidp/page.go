package devidp

import (
	"bytes"
	"html/template"
	"net/http"

	"github.com/ozgo/ozgo/internal/identity"
)

// The pages are plain server-rendered HTML in German. They need no
// JavaScript; the answer form submits itself through the external
// autosubmit.js where scripts run (ozgo's CSP forbids inline scripts, and
// this server's own CSP does too), and has a visible button otherwise.
var pages = template.Must(template.New("layout").Parse(`{{define "head"}}<!doctype html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}} – Test-Identitätsprovider (TESTSYSTEM)</title>
<link rel="stylesheet" href="{{.Prefix}}/static/devidp.css">
</head>
<body>
<div class="banner" role="note"><strong>TESTSYSTEM</strong> – Dies ist kein echter Anmeldedienst. Alle Personen sind erfunden.</div>
<main id="inhalt">
<h1>Test-Identitätsprovider – kein echtes Konto</h1>
{{end}}
{{define "foot"}}</main>
</body>
</html>
{{end}}
{{define "index"}}{{template "head" .}}
<p>Dieser Dienst ersetzt BundID und einen OpenID-Connect-Anbieter beim Entwickeln und Testen von ozgo. Er fragt kein Passwort ab: Sie wählen eine Testperson und ein Vertrauensniveau.</p>
<ul>
<li><a href="{{.Prefix}}/saml/metadata">SAML-Metadaten</a></li>
<li><a href="{{.Prefix}}/.well-known/openid-configuration">OpenID-Connect-Konfiguration</a></li>
</ul>
{{template "foot" .}}{{end}}
{{define "choose"}}{{template "head" .}}
<p>{{if .SAML}}Ein Dienst (SAML) bittet um Anmeldung{{else}}Ein Dienst (OpenID Connect) bittet um Anmeldung{{end}}{{with .Requester}}: <code>{{.}}</code>{{end}}. Mindestens verlangt: Vertrauensniveau <strong>{{.Min}}</strong>.</p>
{{with .Note}}<p class="note">{{.}}</p>{{end}}
<form method="post" action="{{.Prefix}}/login">
<input type="hidden" name="token" value="{{.Token}}">
<fieldset>
<legend>Testperson</legend>
{{range $i, $p := .Persons}}<div class="choice">
<input type="radio" name="person" id="person-{{$p.Key}}" value="{{$p.Key}}"{{if eq $i 0}} checked{{end}}>
<label for="person-{{$p.Key}}"><span class="name">{{$p.GivenName}} {{$p.FamilyName}}</span>
<span class="details">geboren am {{$p.BirthDateDE}}{{with $p.BirthName}} als {{.}}{{end}} in {{$p.PlaceOfBirth}}, {{$p.Street}}, {{$p.PostalCode}} {{$p.City}}, {{$p.Email}}</span></label>
</div>
{{end}}</fieldset>
<fieldset>
<legend>Vertrauensniveau der Anmeldung</legend>
{{range .Levels}}<div class="choice">
<input type="radio" name="level" id="level-{{.Name}}" value="{{.Name}}"{{if .Checked}} checked{{end}}>
<label for="level-{{.Name}}">{{.Label}}</label>
</div>
{{end}}</fieldset>
<div class="actions">
<button type="submit" name="action" value="login">Als Testperson anmelden</button>
<button type="submit" name="action" value="cancel" class="secondary">Anmeldung abbrechen</button>
</div>
</form>
{{template "foot" .}}{{end}}
{{define "post"}}{{template "head" .}}
<p>Sie werden zum Dienst zurückgeleitet. Falls das nicht von selbst geschieht, wählen Sie „Weiter“.</p>
<form method="post" action="{{.Action}}" id="autosubmit">
{{range $k, $v := .Fields}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<button type="submit">Weiter</button>
</form>
<script src="{{.Prefix}}/static/autosubmit.js"></script>
{{template "foot" .}}{{end}}
{{define "error"}}{{template "head" .}}
<h2>Die Anfrage kann nicht beantwortet werden</h2>
<p>{{.Message}}</p>
{{template "foot" .}}{{end}}
`))

const cssFile = `body{font-family:system-ui,sans-serif;margin:0;line-height:1.5;color:#1b1b1b}
main{max-width:44rem;margin:0 auto;padding:1rem}
.banner{background:#b00020;color:#fff;font-size:1.4rem;padding:1rem;text-align:center}
fieldset{margin:1rem 0;padding:.5rem 1rem;border:2px solid #555}
legend{font-weight:bold;padding:0 .25rem}
.choice{margin:.5rem 0;display:flex;gap:.5rem;align-items:flex-start}
.choice input{margin-top:.35rem;width:1.25rem;height:1.25rem}
.name{font-weight:bold;display:block}
.details{display:block;color:#333}
button{font-size:1.1rem;padding:.5rem 1rem;margin:.25rem .5rem .25rem 0;border:2px solid #0b4f8a;background:#0b4f8a;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#0b4f8a}
button:focus,input:focus{outline:3px solid #f9a800;outline-offset:2px}
.note{border-left:4px solid #b00020;padding-left:.5rem}
`

// autosubmitJS submits the answer form; the form's button stays for
// browsers without JavaScript.
const autosubmitJS = `document.addEventListener("DOMContentLoaded", function () {
  var f = document.getElementById("autosubmit");
  if (f) { f.submit(); }
});
`

func serveStatic(ctype, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write([]byte(body))
	}
}

type levelChoice struct {
	Name, Label string
	Checked     bool
}

func levelChoices(min identity.TrustLevel) []levelChoice {
	if min < identity.Niedrig {
		min = identity.Niedrig
	}
	labels := map[identity.TrustLevel]string{
		identity.Niedrig:      "niedrig (Benutzername und Passwort)",
		identity.Substantiell: "substantiell (z. B. ELSTER-Zertifikat)",
		identity.Hoch:         "hoch (Online-Ausweis)",
	}
	var out []levelChoice
	for _, l := range []identity.TrustLevel{identity.Niedrig, identity.Substantiell, identity.Hoch} {
		out = append(out, levelChoice{Name: l.String(), Label: labels[l], Checked: l == min})
	}
	return out
}

func (idp *IdP) render(w http.ResponseWriter, status int, name string, data map[string]any) {
	if data["Title"] == nil {
		data["Title"] = "Anmeldung"
	}
	data["Prefix"] = idp.prefix
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		idp.log.Error("devidp: render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (idp *IdP) fail(w http.ResponseWriter, status int, msg string, err error) {
	if err != nil {
		idp.log.Warn("devidp: request refused", "status", status, "err", err)
	}
	idp.render(w, status, "error", map[string]any{"Title": "Fehler", "Message": msg})
}

func (idp *IdP) serveIndex(w http.ResponseWriter, r *http.Request) {
	idp.render(w, http.StatusOK, "index", map[string]any{"Title": "Übersicht"})
}

// showChoice renders the person and level picker for a pending login.
func (idp *IdP) showChoice(w http.ResponseWriter, p *pendingLogin, requester, note string) {
	tok := idp.addPending(p)
	if tok == "" {
		idp.fail(w, http.StatusServiceUnavailable, "Zu viele offene Anmeldungen. Bitte versuchen Sie es später noch einmal.", nil)
		return
	}
	idp.render(w, http.StatusOK, "choose", map[string]any{
		"SAML":      p.saml != nil,
		"Requester": requester,
		"Note":      note,
		"Min":       identity.TrustLevel(p.level).String(),
		"Token":     tok,
		"Persons":   idp.persons,
		"Levels":    levelChoices(identity.TrustLevel(p.level)),
	})
}

// serveLogin takes the tester's choice and answers the pending request.
func (idp *IdP) serveLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		idp.fail(w, http.StatusBadRequest, "Das Formular ist ungültig.", err)
		return
	}
	p, ok := idp.takePending(r.PostForm.Get("token"))
	if !ok {
		idp.fail(w, http.StatusBadRequest, "Diese Anmeldeanfrage ist unbekannt, abgelaufen oder schon beantwortet. Bitte starten Sie die Anmeldung beim Dienst neu.", nil)
		return
	}
	cancel := r.PostForm.Get("action") == "cancel"
	var person Person
	var level identity.TrustLevel
	if !cancel {
		person, ok = idp.person(r.PostForm.Get("person"))
		if !ok {
			idp.fail(w, http.StatusBadRequest, "Bitte wählen Sie eine Testperson.", nil)
			return
		}
		level, ok = identity.ParseTrustLevel(r.PostForm.Get("level"))
		if !ok {
			idp.fail(w, http.StatusBadRequest, "Bitte wählen Sie ein Vertrauensniveau.", nil)
			return
		}
	}
	switch {
	case p.saml != nil:
		idp.saml.answer(w, r, p.saml, person, level, cancel)
	case p.oidc != nil:
		idp.oidc.answer(w, r, p.oidc, person, level, cancel)
	}
}

// postForm renders the auto-submitting HTTP-POST binding form.
func (idp *IdP) postForm(w http.ResponseWriter, action string, fields map[string]string) {
	idp.render(w, http.StatusOK, "post", map[string]any{"Title": "Weiterleitung", "Action": action, "Fields": fields})
}
