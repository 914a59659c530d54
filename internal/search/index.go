// Package search is an in-memory full-text index tuned for German names of
// administrative services (LeiKa-Leistungen) and regions.
//
// It exists so that search results are the same whatever SQL engine ozgo
// runs on: SQLite and PostgreSQL disagree on collation, umlaut folding and
// full-text features, so the catalog is searched here instead.
//
// Matching folds case and umlauts (Normalize), strips light German endings
// (Stem), and matches every query word by exact token, same stem, prefix,
// or infix inside compounds ("steuer" finds "Hundesteuer"). Digit-only query
// words also match a document's codes (LeiKa key, ARS, AGS, postcode)
// exactly or by prefix. See Index.Search for the ranking.
package search

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"sync"
)

// Doc is one searchable entry.
type Doc struct {
	// ID is the caller's handle, returned in Hit (e.g. an index into its
	// slice). IDs need not be unique; Build keeps every Doc.
	ID int
	// Text is the primary name, weighted highest. For region-like names the
	// part before the first comma or parenthesis is the "primary name"
	// ("Tübingen, Universitätsstadt", "Halle (Saale)").
	Text string
	// Extra holds secondary texts (law short names like "BEEG", synonyms),
	// matched with lower weight than any match in Text.
	Extra []string
	// Codes are digit codes matched exactly or by prefix by digit-only query
	// words: LeiKa key (14 digits), ARS (2–12), AGS (8), postcode (5).
	// Characters other than ASCII digits are ignored ("08 416" is "08416").
	Codes []string
	// Boost is a static tie-breaker chosen by the caller (e.g. log
	// population); it only orders documents that match equally well and
	// have equally long names. NaN counts as 0.
	Boost float64
}

// Posting flags: where a token occurs in a document.
const (
	inText  uint8 = 1 << iota // in Doc.Text
	inExtra                   // in one of Doc.Extra
	atStart                   // first token of Doc.Text (or a compound starting there)
)

// posting is one document containing a token.
type posting struct {
	doc   int32
	flags uint8
}

// docInfo is what ranking needs to know about a document.
type docInfo struct {
	id      int
	boost   float64
	compact string // normalized Text without separators, for exact matches
	primary string // same for the primary name; "" if Text has none
	nameLen int32  // tokens in Text
	primLen int32  // tokens in the primary name
	alpha   int32  // position in alphabetical order (normalized Text, Text, ID)
}

// Index is an immutable full-text index over a set of Docs. It is safe for
// concurrent use by multiple goroutines.
type Index struct {
	docs []docInfo

	// vocab holds every distinct token of Text and Extra (plus joined
	// hyphen compounds), sorted, so a prefix is a binary search away.
	vocab []string
	stems []string // Stem(vocab[i])
	// Postings of vocab[i] are post[postAt[i]:postAt[i+1]], by document.
	postAt []int32
	post   []posting
	// blob is "\x00" + vocab joined by "\x00" + "\x00"; infix search is a
	// strings.Index over it, far faster than a Contains per token. blobAt[i]
	// is the offset of vocab[i] in blob.
	blob   string
	blobAt []int32

	// codes are the distinct codes, sorted; documents of codes[i] are
	// codePost[codeAt[i]:codeAt[i+1]].
	codes    []string
	codeAt   []int32
	codePost []int32

	// scratch holds per-search buffers sized to the document count, so a
	// search does not allocate them; it is the only mutable part of Index.
	scratch sync.Pool
}

// Len returns the number of documents in the index.
func (ix *Index) Len() int { return len(ix.docs) }

// Build indexes docs. It copies what it needs, so the caller may reuse docs.
func Build(docs []Doc) *Index {
	ix := &Index{docs: make([]docInfo, len(docs))}
	toks := map[string][]posting{}
	add := func(tok string, d int32, f uint8) {
		ps := toks[tok]
		// Documents are added in order, so a repeat is always the last one.
		if n := len(ps); n > 0 && ps[n-1].doc == d {
			ps[n-1].flags |= f
			return
		}
		toks[tok] = append(ps, posting{d, f})
	}
	codes := map[string][]int32{}
	norm := make([]string, len(docs))
	for i, doc := range docs {
		d := int32(i)
		ws := words(doc.Text)
		for j, w := range ws {
			f := inText
			if j == 0 {
				f |= atStart
			}
			add(w.tok, d, f)
		}
		addCompounds(ws, func(tok string, start bool) {
			f := inText
			if start {
				f |= atStart
			}
			add(tok, d, f)
		})
		for _, e := range doc.Extra {
			ews := words(e)
			for _, w := range ews {
				add(w.tok, d, inExtra)
			}
			addCompounds(ews, func(tok string, _ bool) { add(tok, d, inExtra) })
		}
		for _, c := range doc.Codes {
			c = digitsOnly(c)
			if c == "" {
				continue
			}
			if ds := codes[c]; len(ds) == 0 || ds[len(ds)-1] != d {
				codes[c] = append(ds, d)
			}
		}

		info := &ix.docs[i]
		info.id = doc.ID
		info.boost = doc.Boost
		if math.IsNaN(info.boost) {
			info.boost = 0
		}
		info.nameLen = int32(len(ws))
		norm[i] = joinWords(ws, " ")
		info.compact = joinWords(ws, "")
		if p, ok := primaryName(doc.Text); ok {
			pws := words(p)
			if len(pws) > 0 && len(pws) < len(ws) {
				info.primary = joinWords(pws, "")
				info.primLen = int32(len(pws))
			}
		}
	}

	// Alphabetical order is the last tie-breaker; precomputing it lets the
	// ranking compare integers instead of strings.
	order := make([]int32, len(docs))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := strings.Compare(norm[a], norm[b]); c != 0 {
			return c
		}
		if c := strings.Compare(docs[a].Text, docs[b].Text); c != 0 {
			return c
		}
		return cmp.Compare(docs[a].ID, docs[b].ID)
	})
	for rank, d := range order {
		ix.docs[d].alpha = int32(rank)
	}

	ix.vocab = make([]string, 0, len(toks))
	for t := range toks {
		ix.vocab = append(ix.vocab, t)
	}
	slices.Sort(ix.vocab)
	ix.stems = make([]string, len(ix.vocab))
	ix.postAt = make([]int32, len(ix.vocab)+1)
	ix.blobAt = make([]int32, len(ix.vocab))
	var blob strings.Builder
	blob.WriteByte(0)
	for i, t := range ix.vocab {
		ix.stems[i] = Stem(t)
		ix.postAt[i] = int32(len(ix.post))
		ix.post = append(ix.post, toks[t]...)
		ix.blobAt[i] = int32(blob.Len())
		blob.WriteString(t)
		blob.WriteByte(0)
	}
	ix.postAt[len(ix.vocab)] = int32(len(ix.post))
	ix.blob = blob.String()

	ix.codes = make([]string, 0, len(codes))
	for c := range codes {
		ix.codes = append(ix.codes, c)
	}
	slices.Sort(ix.codes)
	ix.codeAt = make([]int32, len(ix.codes)+1)
	for i, c := range ix.codes {
		ix.codeAt[i] = int32(len(ix.codePost))
		ix.codePost = append(ix.codePost, codes[c]...)
	}
	ix.codeAt[len(ix.codes)] = int32(len(ix.codePost))

	n := len(docs)
	ix.scratch.New = func() any { return newScratch(n) }
	return ix
}

// addCompounds calls add with the joined form of every chain of hyphenated
// words ("Brüder-Grimm-Stadt" gives "brudergrimmstadt"), so that a query
// written as one word finds the hyphenated name. start reports that the
// chain begins the text.
func addCompounds(ws []word, add func(tok string, start bool)) {
	for i := 0; i < len(ws); {
		j := i + 1
		for j < len(ws) && ws[j].hyphenated {
			j++
		}
		if j-i > 1 {
			add(joinWords(ws[i:j], ""), i == 0)
		}
		i = j
	}
}

// primaryName returns the part of a name before its first comma or opening
// parenthesis, the usual place of a qualifier in official region names
// ("Flensburg, Stadt", "Burg (Dithmarschen)").
func primaryName(s string) (string, bool) {
	if i := strings.IndexAny(s, ",("); i >= 0 {
		return s[:i], true
	}
	return "", false
}

// joinWords joins the tokens of ws with sep.
func joinWords(ws []word, sep string) string {
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(w.tok)
	}
	return b.String()
}

// digitsOnly returns the ASCII digits of s.
func digitsOnly(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
