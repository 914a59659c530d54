package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// foldGroups lists, per ASCII replacement, the lowercase letters that fold to
// it. The single letters are the Latin letters with diacritics from Latin-1
// Supplement to Latin Extended Additional whose canonical decomposition
// starts with that ASCII letter, plus the few without a decomposition that
// are still plain letters to a German reader (ø, ł, đ, ı …). German umlauts
// fold to their base vowel, the spelling "ae/oe/ue" is folded separately
// (see appendFolded), so "Führerschein", "Fuehrerschein" and "Fuhrerschein"
// meet.
var foldGroups = [...]struct{ to, from string }{
	{"a", "àáâãäåāăąǎǟǡǻȁȃȧḁạảấầẩẫậắằẳẵặ"},
	{"b", "ḃḅḇƀ"},
	{"c", "çćĉċčḉ"},
	{"d", "ďḋḍḏḑḓđð"},
	{"e", "èéêëēĕėęěȅȇȩḕḗḙḛḝẹẻẽếềểễệ"},
	{"f", "ḟ"},
	{"g", "ĝğġģǧǵḡ"},
	{"h", "ĥȟḣḥḧḩḫẖħ"},
	{"i", "ìíîïĩīĭįǐȉȋḭḯỉịı"},
	{"j", "ĵǰ"},
	{"k", "ķǩḱḳḵ"},
	{"l", "ĺļľḷḹḻḽłŀ"},
	{"m", "ḿṁṃ"},
	{"n", "ñńņňǹṅṇṉṋ"},
	{"o", "òóôõöōŏőơǒǫǭȍȏȫȭȯȱṍṏṑṓọỏốồổỗộớờởỡợø"},
	{"p", "ṕṗ"},
	{"r", "ŕŗřȑȓṙṛṝṟ"},
	{"s", "śŝşšșṡṣṥṧṩ"},
	{"t", "ţťțṫṭṯṱẗŧ"},
	{"u", "ùúûüũūŭůűųưǔǖǘǚǜȕȗṳṵṷṹṻụủứừửữự"},
	{"v", "ṽṿ"},
	{"w", "ŵẁẃẅẇẉẘ"},
	{"x", "ẋẍ"},
	{"y", "ýÿŷȳẏẙỳỵỷỹ"},
	{"z", "źżžẑẓẕƶ"},
	{"ss", "ß"},
	{"ae", "æǽ"},
	{"oe", "œ"},
	{"th", "þ"},
	{"ij", "ĳ"},
}

// foldMap is foldGroups keyed by letter.
var foldMap = func() map[rune]string {
	m := make(map[rune]string, 512)
	for _, g := range foldGroups {
		for _, r := range g.from {
			m[r] = g.to
		}
	}
	return m
}()

// isHyphen reports whether r joins the parts of a compound ("Mainz-Bingen").
func isHyphen(r rune) bool { return r == '-' || r == '\u2010' || r == '\u2011' }

// isVowelOrQ reports whether b, the byte before an a/o/u, makes the
// following "e" part of a diphthong or a "qu" rather than an umlaut spelling:
// "Steuer", "Bauer", "neue", "Quelle" keep their e, "Fuehrer" loses it.
func isVowelOrQ(b byte) bool {
	switch b {
	case 'a', 'e', 'i', 'o', 'u', 'y', 'q':
		return true
	}
	return false
}

// appendFolded appends the folded ASCII byte c to the token tok. It folds
// the umlaut spellings ae/oe/ue to a/o/u by dropping an "e" after a, o or u,
// unless that vowel itself follows a vowel or q. The rule looks only at the
// token built so far, so folding an already folded token changes nothing.
func appendFolded(tok []byte, c byte) []byte {
	if c == 'e' {
		if n := len(tok); n > 0 && (tok[n-1] == 'a' || tok[n-1] == 'o' || tok[n-1] == 'u') && (n == 1 || !isVowelOrQ(tok[n-2])) {
			return tok
		}
	}
	return append(tok, c)
}

// scan splits s into normalized tokens and calls emit for each, in order.
// hyphenated reports that the token was joined to the previous one by a
// single hyphen and nothing else ("Mainz-Bingen", not "Reg.-Bez."). The
// token slice is only valid during the call.
//
// Letters and digits (any script) make up tokens, with the folding
// described at Normalize; combining marks and invisible format characters
// (soft hyphen, zero-width joiner) are dropped without splitting the word,
// so decomposed input ("u" + U+0308) folds like precomposed "ü". Everything
// else, including invalid UTF-8, separates tokens.
func scan(s string, emit func(tok []byte, hyphenated bool)) {
	var arr [64]byte
	tok := arr[:0]
	seps := 0          // separator runes since the last token
	hyphen := false    // the only separator so far was a hyphen
	haveToken := false // a token was emitted before
	flush := func() {
		if len(tok) > 0 {
			emit(tok, haveToken && seps == 1 && hyphen)
			haveToken = true
			tok = tok[:0]
			seps, hyphen = 0, false
		}
	}
	separator := func(r rune) {
		flush()
		seps++
		hyphen = isHyphen(r)
	}
	for _, r := range s {
		// Fullwidth forms (common from Japanese and Chinese input methods)
		// are ASCII in disguise.
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		if r < utf8.RuneSelf {
			switch {
			case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
				tok = appendFolded(tok, byte(r))
			case 'A' <= r && r <= 'Z':
				tok = appendFolded(tok, byte(r)+'a'-'A')
			default:
				separator(r)
			}
			continue
		}
		switch {
		case unicode.Is(unicode.M, r) || unicode.Is(unicode.Cf, r):
			// Part of the surrounding word.
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			r = unicode.ToLower(r)
			if f, ok := foldMap[r]; ok {
				for i := 0; i < len(f); i++ {
					tok = appendFolded(tok, f[i])
				}
			} else {
				tok = utf8.AppendRune(tok, r)
			}
		default:
			separator(r)
		}
	}
	flush()
}

// Normalize returns the folded form of s that both the index and queries
// use: its tokens separated by single spaces. Folding lowercases, maps
// ä/ö/ü to a/o/u and ß to ss, folds the spellings ae/oe/ue to a/o/u (but
// not in diphthongs: "Steuer" stays "steuer"), strips other diacritics
// (é→e, ł→l), and treats every character that is not a letter or digit as
// a separator. Normalize is idempotent.
func Normalize(s string) string {
	var b strings.Builder
	scan(s, func(tok []byte, _ bool) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.Write(tok)
	})
	return b.String()
}

// Tokens returns the normalized tokens of s, in order, duplicates kept.
// Hyphenated compounds come as their parts ("Mainz-Bingen" gives "mainz",
// "bingen"); the index additionally knows the joined form.
func Tokens(s string) []string {
	var toks []string
	scan(s, func(tok []byte, _ bool) { toks = append(toks, string(tok)) })
	return toks
}

// word is a token with its link to the previous token.
type word struct {
	tok        string
	hyphenated bool
}

// words is Tokens with the hyphen links, for the index to build compounds.
func words(s string) []word {
	var ws []word
	scan(s, func(tok []byte, h bool) { ws = append(ws, word{string(tok), h}) })
	return ws
}
