// Package httpx is ozgo's HTTP plumbing shared by the HTML pages (web) and
// the JSON APIs: routing with route-pattern tagging, the middleware chain
// (request ids, logs, metrics, panic recovery, security headers, body
// limits, cross-origin protection), the one mapping of application error
// codes to HTTP, RFC 9457 problem details, and graceful serving.
package httpx

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/i18n"
)

// Status maps an application error code to its HTTP status. This is the one
// place the mapping lives.
func Status(code errs.Code) int {
	switch code {
	case errs.Invalid:
		return http.StatusUnprocessableEntity
	case errs.BadRequest:
		return http.StatusBadRequest
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.Unauthorized:
		return http.StatusUnauthorized
	case errs.TooManyRequests:
		return http.StatusTooManyRequests
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// Classify turns any error met while serving a request into an *errs.Error:
// it recognises the standard library's body-limit error, so handlers need
// not, and keeps every other error's code.
func Classify(err error) *errs.Error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errs.Wrap(errs.TooLarge, "http.body", err, "")
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return e
	}
	return errs.Wrap(errs.Internal, "", err, "")
}

// ProblemTypeBase prefixes ozgo's problem type URIs; the suffix is the code.
const ProblemTypeBase = "urn:ozgo:problem:"

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// InvalidParams names the offending input field of a validation error.
	InvalidParams []InvalidParam `json:"invalid-params,omitempty"`
	// RequestID lets the operator find the log lines of this request.
	RequestID string `json:"requestId,omitempty"`
}

// InvalidParam is one field-level validation failure.
type InvalidParam struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// ProblemFor builds the problem object for err. Internal details never leave
// the process: for internal and unavailable errors only the generic German
// text is used.
func ProblemFor(r *http.Request, cat *i18n.Catalog, err error) Problem {
	e := Classify(err)
	code := e.Code
	if code == "" {
		code = errs.Internal
	}
	p := Problem{
		Type:      ProblemTypeBase + string(code),
		Title:     cat.T(i18n.Default, "error.title."+string(code)),
		Status:    Status(code),
		Detail:    "",
		Instance:  r.URL.Path,
		RequestID: RequestID(r.Context()),
	}
	msg, args := errs.MessageArgsOf(e)
	if msg == "" || code == errs.Internal {
		p.Detail = cat.T(i18n.Default, "error.detail."+string(code))
	} else {
		p.Detail = cat.Resolve(i18n.Default, msg, args)
	}
	if e.Field != "" {
		p.InvalidParams = []InvalidParam{{Name: e.Field, Reason: p.Detail}}
	}
	return p
}

// WriteProblem answers with an application/problem+json body for err and
// logs server-side failures with their cause.
func WriteProblem(w http.ResponseWriter, r *http.Request, log *slog.Logger, cat *i18n.Catalog, err error) {
	p := ProblemFor(r, cat, err)
	LogError(r, log, err, p.Status)
	WriteProblemObject(w, p)
}

// WriteProblemObject writes a ready-made problem object.
func WriteProblemObject(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// LogError logs an error that reached the HTTP layer: server-side failures
// at error level with the cause, client errors at debug level.
func LogError(r *http.Request, log *slog.Logger, err error, status int) {
	if log == nil {
		return
	}
	attrs := []any{"request_id", RequestID(r.Context()), "route", Route(r.Context()), "status", status}
	if status >= 500 {
		log.Error("request failed", append(attrs, "err", err.Error())...)
	} else {
		log.Debug("request rejected", append(attrs, "code", string(errs.CodeOf(err)))...)
	}
}

// WantsJSON reports whether the client should get JSON rather than HTML:
// API paths always, and clients that ask for JSON but not HTML.
func WantsJSON(r *http.Request) bool {
	p := r.URL.Path
	if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/fitconnect/") || p == "/api" || p == "/fitconnect" {
		return true
	}
	accept := r.Header.Get("Accept")
	return (strings.Contains(accept, "application/json") || strings.Contains(accept, "+json")) &&
		!strings.Contains(accept, "text/html")
}
