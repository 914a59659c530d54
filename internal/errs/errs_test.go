package errs

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodeOf(t *testing.T) {
	base := errors.New("disk on fire")
	tests := []struct {
		name string
		err  error
		want Code
		msg  string
	}{
		{"nil", nil, "", ""},
		{"plain", base, Internal, ""},
		{"direct", E(NotFound, "Die Leistung wurde nicht gefunden."), NotFound, "Die Leistung wurde nicht gefunden."},
		{"wrapped", fmt.Errorf("ctx: %w", E(Conflict, "Schon vorhanden.")), Conflict, "Schon vorhanden."},
		{"cause kept", Wrap(Unavailable, "store.Ping", base, ""), Unavailable, ""},
		{"inner message", Wrap(Invalid, "x", FieldError("name", "Bitte Namen angeben."), ""), Invalid, "Bitte Namen angeben."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CodeOf(tt.err); got != tt.want {
				t.Errorf("CodeOf = %q, want %q", got, tt.want)
			}
			if got := MessageOf(tt.err); got != tt.msg {
				t.Errorf("MessageOf = %q, want %q", got, tt.msg)
			}
		})
	}
}

func TestErrorStringKeepsCause(t *testing.T) {
	base := errors.New("connection refused")
	err := Wrap(Unavailable, "store.Open", base, "Datenbank nicht erreichbar.")
	if !errors.Is(err, base) {
		t.Fatal("cause not reachable through errors.Is")
	}
	want := "store.Open: unavailable: Datenbank nicht erreichbar.: connection refused"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}
