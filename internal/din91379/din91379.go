// Package din91379 checks text against DIN 91379 ("Zeichen in Unicode für
// die elektronische Verarbeitung von Namen und den Datenaustausch in
// Europa", 2022-08), the successor of DIN SPEC 91379 and of XÖV's
// String.Latin+ 1.2. German administrative data standards (XÖV, and FIM
// XDatenfelder's data type text_latin) restrict text to its characters so
// that a name typed in one system arrives intact in every other.
//
// The standard defines groups of characters and character sequences
// (a base letter followed by combining marks, such as "L̥"), and data
// types built from them:
//
//   - A: names of natural persons: Latin letters (bll) and the non-letters
//     N1 (bnlreq);
//   - B: names of legal persons, places, streets: A and N2 (bnl);
//   - C: other text: B and N3 (bnlopt), N4 (bnlnot: tab, line feed,
//     carriage return, no-break space) and the combining diacritics (dc);
//   - D and E add the extended Greek, Cyrillic and E1 non-letters (D only
//     within their own scripts; not used here).
//
// Text is checked in Unicode NFC, as the standard requires; Normalize
// gives the form to store. The character list comes from din91379.txt
// (see its header for the source).
package din91379

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/text/unicode/norm"
)

// Type is a DIN 91379 data type.
type Type int

// The data types this package checks.
const (
	TypeA Type = iota // names of natural persons
	TypeB             // names of legal persons, places, streets
	TypeC             // other text
)

//go:embed din91379.txt
var table string

// groupType is the narrowest data type a group belongs to; groups outside
// the normative set (Greek, Cyrillic, E1) are absent.
var groupType = map[string]Type{
	"bll": TypeA, "bnlreq": TypeA,
	"bnl":    TypeB,
	"bnlopt": TypeC, "bnlnot": TypeC, "dc": TypeC,
}

type charset struct {
	single map[rune]Type
	// seqs maps a sequence (two or three code points, NFC) to its type.
	seqs   map[string]Type
	maxSeq int
}

var (
	loadOnce sync.Once
	set      charset
)

func load() {
	set = charset{single: map[rune]Type{}, seqs: map[string]Type{}}
	for _, line := range strings.Split(table, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		t, ok := groupType[f[0]]
		if !ok {
			continue
		}
		var rs []rune
		for _, h := range f[1:] {
			v, err := strconv.ParseUint(h, 16, 32)
			if err != nil {
				panic(fmt.Sprintf("din91379: bad code point %q in table", h))
			}
			rs = append(rs, rune(v))
		}
		if len(rs) == 1 {
			set.single[rs[0]] = t
			continue
		}
		s := norm.NFC.String(string(rs))
		set.seqs[s] = t
		if n := len([]rune(s)); n > set.maxSeq {
			set.maxSeq = n
		}
	}
}

// Normalize returns s in Unicode NFC, the form DIN 91379 text is checked
// and stored in.
func Normalize(s string) string { return norm.NFC.String(s) }

// Invalid is the first character of a text that its data type does not
// allow.
type Invalid struct {
	Char   rune
	Offset int // in runes, of the NFC text
}

func (e *Invalid) Error() string {
	return fmt.Sprintf("din91379: character %U at %d is not allowed", e.Char, e.Offset)
}

// Check reports the first character of s (after NFC) that data type t does
// not allow, or nil. Sequences are matched longest first, so "L̥̄" is one
// letter, while a combining mark after a letter that forms no defined
// sequence is accepted only where t allows the combining marks on their
// own (type C).
func Check(s string, t Type) *Invalid {
	loadOnce.Do(load)
	rs := []rune(norm.NFC.String(s))
	for i := 0; i < len(rs); {
		n := 0
		for l := min(set.maxSeq, len(rs)-i); l >= 2; l-- {
			if st, ok := set.seqs[string(rs[i:i+l])]; ok && st <= t {
				n = l
				break
			}
		}
		if n == 0 {
			if st, ok := set.single[rs[i]]; ok && st <= t {
				n = 1
			}
		}
		if n == 0 {
			return &Invalid{Char: rs[i], Offset: i}
		}
		i += n
	}
	return nil
}

// Valid reports whether s is text of data type t.
func Valid(s string, t Type) bool { return Check(s, t) == nil }
