package httpx

import (
	"context"
	"net/http"
	"strings"
)

// DefaultBodyLimit caps request bodies of routes that do not set their own
// limit: enough for any form page, small enough to shrug off floods.
const DefaultBodyLimit = 1 << 20

// Router is a net/http ServeMux that tags each request with the pattern of
// the route that served it (for logs and metrics with bounded label sets)
// and applies per-route body limits.
type Router struct {
	mux      *http.ServeMux
	notFound http.Handler
}

// RouteOption adjusts one route.
type RouteOption func(*routeOpts)

type routeOpts struct{ bodyLimit int64 }

// BodyLimit sets the route's maximum request body size in bytes, replacing
// DefaultBodyLimit (for uploads).
func BodyLimit(n int64) RouteOption { return func(o *routeOpts) { o.bodyLimit = n } }

// NewRouter returns a router whose unmatched requests go to notFound, and
// requests whose path exists for another method get 405 from
// methodNotAllowed (both may be nil for plain-text defaults).
func NewRouter(notFound, methodNotAllowed http.Handler) *Router {
	rt := &Router{mux: http.NewServeMux(), notFound: notFound}
	if notFound == nil {
		notFound = http.NotFoundHandler()
	}
	if methodNotAllowed == nil {
		methodNotAllowed = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		})
	}
	// The catch-all keeps unmatched requests out of ServeMux's plain-text
	// 404/405 so they get ozgo's pages; it works out 405 itself.
	rt.mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, DefaultBodyLimit)
		}
		if allow := rt.allowed(r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			methodNotAllowed.ServeHTTP(w, r)
			return
		}
		notFound.ServeHTTP(w, r)
	}))
	return rt
}

// allowed lists the methods for which r's path has a route.
func (rt *Router) allowed(r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(context.Background())
		probe.Method = m
		if _, pattern := rt.mux.Handler(probe); pattern != "/" && pattern != "" {
			out = append(out, m)
			if m == http.MethodGet {
				out = append(out, http.MethodHead)
			}
		}
	}
	return out
}

// Handle registers h for a ServeMux pattern such as "GET /leistungen/{id}".
func (rt *Router) Handle(pattern string, h http.Handler, opts ...RouteOption) {
	o := routeOpts{bodyLimit: DefaultBodyLimit}
	for _, f := range opts {
		f(&o)
	}
	rt.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if st := stateOf(r.Context()); st != nil {
			st.route = pattern
		}
		if r.Body != nil && o.bodyLimit > 0 {
			r.Body = http.MaxBytesReader(w, r.Body, o.bodyLimit)
		}
		h.ServeHTTP(w, r)
	}))
}

// HandleFunc registers a handler function.
func (rt *Router) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request), opts ...RouteOption) {
	rt.Handle(pattern, http.HandlerFunc(f), opts...)
}

// ServeHTTP dispatches to the matching route.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt.mux.ServeHTTP(w, r)
}
