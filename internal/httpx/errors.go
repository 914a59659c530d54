package httpx

import (
	"errors"

	"github.com/ozgo/ozgo/internal/errs"
)

// errPanic is what a recovered panic looks like to the error renderer: an
// internal error with no details.
var errPanic = errs.Wrap(errs.Internal, "http.panic", errors.New("handler panicked"), "")

// errCrossOrigin is the answer to a state-changing request from another site.
var errCrossOrigin = &errs.Error{Code: errs.Forbidden, Op: "http.crossorigin", Message: "error.cross_origin"}
