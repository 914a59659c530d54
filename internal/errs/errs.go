// Package errs defines ozgo's one application error type.
//
// Domain packages return *Error values carrying a Code; the HTTP layer maps
// each Code once to a status, a German page and an application/problem+json
// body (see internal/httpx). Domain code never imports net/http.
package errs

import (
	"errors"
	"fmt"
)

// Code classifies an error by what the caller can do about it.
type Code string

// The application error codes. Their mapping to HTTP lives in internal/httpx.
const (
	Invalid      Code = "invalid"      // the input is wrong; the user can fix it
	BadRequest   Code = "bad_request"  // the request is malformed (a query parameter of the wrong form)
	NotFound     Code = "not_found"    // the object does not exist or is not visible to the caller
	Conflict     Code = "conflict"     // the request conflicts with the current state
	Forbidden    Code = "forbidden"    // authenticated, but not allowed
	Unauthorized Code = "unauthorized" // not authenticated (or not at the required trust level)
	TooLarge     Code = "too_large"    // the input exceeds a size limit
	// TooManyRequests: the caller is throttled; the message says how long to wait.
	TooManyRequests Code = "too_many_requests"
	Unavailable     Code = "unavailable" // a dependency is down; retrying later may help
	Internal        Code = "internal"    // a bug or an unexpected failure; details only in the log
)

// Error is an application error. Message is safe to show to the user: a key
// of the i18n message catalog (with Args for its placeholders), resolved by
// the presentation layer in the reader's language; plain text is shown as
// it is. Err holds the underlying cause for logs and is never shown.
type Error struct {
	Code    Code
	Message string
	Args    []any
	// Field optionally names the input field an Invalid error refers to.
	Field string
	// Op names the operation that failed, for logs ("catalog.Import").
	Op  string
	Err error
}

// Error implements the error interface. It includes the cause so logs are
// useful; the HTTP layer shows only Message.
func (e *Error) Error() string {
	s := string(e.Code)
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// E builds an *Error with a user-facing message.
func E(code Code, message string) *Error {
	return &Error{Code: code, Message: message}
}

// Ef builds an *Error with a formatted user-facing message.
func Ef(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap builds an *Error around a cause. The cause is kept for logs only.
func Wrap(code Code, op string, err error, message string) *Error {
	return &Error{Code: code, Op: op, Err: err, Message: message}
}

// K builds an *Error whose message is a catalog key with arguments.
func K(code Code, key string, args ...any) *Error {
	return &Error{Code: code, Message: key, Args: args}
}

// FieldError builds an Invalid error tied to an input field; message is a
// catalog key (or text) with optional arguments.
func FieldError(field, message string, args ...any) *Error {
	return &Error{Code: Invalid, Field: field, Message: message, Args: args}
}

// CodeOf returns the code of the first *Error in err's chain, Internal for any
// other non-nil error and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	return Internal
}

// MessageOf returns the user-facing message of the first *Error in err's
// chain that has one, or "" (the presentation layer then uses the generic
// text for the code).
func MessageOf(err error) string {
	m, _ := MessageArgsOf(err)
	return m
}

// MessageArgsOf is MessageOf with the message's arguments.
func MessageArgsOf(err error) (string, []any) {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return "", nil
		}
		if e.Message != "" {
			return e.Message, e.Args
		}
		err = e.Err
	}
	return "", nil
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool { return CodeOf(err) == code }
