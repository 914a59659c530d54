package httpx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// Server timeouts: every phase of a request is bounded so slow or stalled
// clients cannot pin connections forever.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 5 * time.Minute // bounded but generous: uploads of attachments
	WriteTimeout      = 5 * time.Minute
	IdleTimeout       = 2 * time.Minute
	MaxHeaderBytes    = 64 << 10
)

// NewServer returns an http.Server with ozgo's timeouts and limits.
func NewServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// Draining is set once shutdown begins, so readiness checks fail and load
// balancers stop sending new work while in-flight requests finish.
type Draining struct{ v atomic.Bool }

// Set marks the process as draining.
func (d *Draining) Set() {
	if d != nil {
		d.v.Store(true)
	}
}

// Is reports whether the process is draining.
func (d *Draining) Is() bool { return d != nil && d.v.Load() }

// ServeOptions configure Serve.
type ServeOptions struct {
	// ShutdownTimeout bounds how long in-flight requests may take to finish
	// after the stop signal.
	ShutdownTimeout time.Duration
	TLSCertFile     string
	TLSKeyFile      string
	Draining        *Draining
	Log             *slog.Logger
}

// Serve serves on ln until ctx is cancelled (the stop signal), then stops
// accepting connections, lets in-flight requests finish within the shutdown
// timeout and returns nil. It returns an error if the server fails or the
// requests do not finish in time.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, o ServeOptions) error {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 30 * time.Second
	}
	errc := make(chan error, 1)
	go func() {
		var err error
		if o.TLSCertFile != "" {
			err = srv.ServeTLS(ln, o.TLSCertFile, o.TLSKeyFile)
		} else {
			err = srv.Serve(ln)
		}
		errc <- err
	}()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	o.Draining.Set()
	o.Log.Info("shutting down: waiting for in-flight requests", "timeout", o.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown: requests still running after %s were cut off: %w", o.ShutdownTimeout, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	o.Log.Info("shutdown complete")
	return nil
}
