package search

import "strings"

// minStem is the shortest stem Stem leaves: "Bauen" gives "bau", but "Ehe"
// stays "ehe" rather than becoming "eh".
const minStem = 3

// suffixes are the inflection endings Stem removes, longest first so that
// "Leistungen" loses "ungen" rather than "en". Derivational endings other
// than -ung are kept: "Ummeldung" and "ummelden" must meet, but
// "Meldepflicht" and "melden" need not.
var suffixes = [...]string{"ungen", "ern", "ung", "en", "er", "es", "e"}

// Stem returns the stem of a normalized token by light German suffix
// stripping: it removes a genitive -s after a consonant that can end a stem
// ("Antrags" → "antrag"), turns the feminine plural -innen into -in, and
// then strips at most one of -ungen, -ern, -ung, -en, -er, -es, -e, or -n
// after e or l,
// never leaving fewer than three characters. So "ummelden" and "Ummeldung"
// both give "ummeld", "Anträge" and "Antrag" give "antrag", "Hunde" gives
// "hund". The result is always a prefix of the token. Tokens containing a
// digit are returned unchanged.
//
// Stem expects a token as produced by Tokens; on other input it still
// returns a prefix of its argument.
func Stem(tok string) string {
	for i := 0; i < len(tok); i++ {
		if '0' <= tok[i] && tok[i] <= '9' {
			return tok
		}
	}
	// Genitive -s ("Antrags", "Wassers") only after a consonant that can
	// end a stem, so "Haus" keeps its s; short words like "Kurs" keep it too.
	if n := len(tok); n >= minStem+2 && tok[n-1] == 's' && strings.IndexByte("bdfghklmnrt", tok[n-2]) >= 0 {
		tok = tok[:n-1]
	}
	if strings.HasSuffix(tok, "innen") && len(tok)-3 >= minStem {
		tok = tok[:len(tok)-3]
	}
	for _, suf := range suffixes {
		if strings.HasSuffix(tok, suf) && len(tok)-len(suf) >= minStem {
			return tok[:len(tok)-len(suf)]
		}
	}
	// A bare -n only after e or l ("Seen", "Regeln"), so "Schein" and
	// "Ärztin" keep theirs.
	if n := len(tok); n-1 >= minStem && tok[n-1] == 'n' && (tok[n-2] == 'e' || tok[n-2] == 'l') {
		return tok[:n-1]
	}
	return tok
}

// stopWords are ignored in queries: they carry no meaning for finding a
// Leistung or a place, and requiring them would make "Anmeldung eines
// Hundes" miss "Hundehaltung Anmeldung". Keys are normalized ("für" → "fur").
var stopWords = map[string]bool{
	"und": true, "oder": true, "sowie": true,
	"der": true, "die": true, "das": true, "des": true, "dem": true, "den": true,
	"ein": true, "eine": true, "einer": true, "eines": true, "einem": true, "einen": true,
	"fur": true, "von": true, "vom": true, "in": true, "im": true,
	"zu": true, "zur": true, "zum": true, "mit": true, "bei": true, "beim": true,
	"an": true, "am": true, "auf": true, "aus": true, "als": true, "nach": true,
}
