package ascii

import "testing"

func TestDigits(t *testing.T) {
	for s, want := range map[string]bool{"0": true, "084160041041": true, "": false, "08a": false, " 1": false, "١": false, "-1": false} {
		if Digits(s) != want {
			t.Errorf("Digits(%q) != %v", s, want)
		}
	}
}
