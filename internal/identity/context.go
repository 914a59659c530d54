package identity

import "context"

type ctxKey struct{}

type ctxVal struct {
	actor   *Actor
	session *Session
	token   string
}

// WithSession stores the request's session (nil for none), its token and
// the actor derived from it in ctx.
func WithSession(ctx context.Context, sess *Session, token string, a *Actor) context.Context {
	if a == nil {
		a = &Actor{}
	}
	return context.WithValue(ctx, ctxKey{}, &ctxVal{actor: a, session: sess, token: token})
}

// ActorFrom returns the actor of the request; anonymous (never nil) when
// nobody is logged in.
func ActorFrom(ctx context.Context) *Actor {
	if v, ok := ctx.Value(ctxKey{}).(*ctxVal); ok {
		return v.actor
	}
	return &Actor{}
}

// SessionFrom returns the request's session and its token, if any.
func SessionFrom(ctx context.Context) (*Session, string) {
	if v, ok := ctx.Value(ctxKey{}).(*ctxVal); ok {
		return v.session, v.token
	}
	return nil, ""
}
