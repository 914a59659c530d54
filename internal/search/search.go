package search

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ozgo/ozgo/internal/ascii"
)

// Limits that bound the work a single query can cause; queries come from
// anyone on the internet.
const (
	maxQueryRunes = 200 // longer queries are cut
	maxTerms      = 10  // further query words are ignored
)

// Matching thresholds.
const (
	minPrefix     = 3 // shortest query stem matched as a prefix ("bau" finds "Bauantrag")
	minInfix      = 4 // shortest query word matched inside compounds ("hund" finds "Kampfhund")
	minCodePrefix = 2 // shortest digit prefix matched against codes ("08" is Baden-Württemberg)
)

// Match kinds of one query word against one token, worst to best.
const (
	kindInfix      uint8 = 1 + iota // inside a token: "schein" in "bescheinigung"
	kindSuffix                      // ends the token, a compound's head: "schein" in "fuhrerschein"
	kindStemPrefix                  // query stem starts the token: "antrage" → "antragsteller"
	kindPrefix                      // query word starts the token: "hund" → "hundesteuer"
	kindStem                        // same stem: "ummelden" ~ "ummeldung"
	kindExact                       // same token, or same code
)

// Levels: a match in Extra is worth its kind (1–6), a match in Text or in
// Codes its kind plus textBonus (7–12), so any Text match beats any match
// only in Extra. startBit marks a match on the first token of Text.
const (
	textBonus = kindExact
	levelMask = 0x7f
	startBit  = 0x80
)

// Hit is one search result.
type Hit struct {
	// ID is Doc.ID of the matching document.
	ID int
	// Score summarizes the match quality rules (a)–(c) of Index.Search:
	// 100 for an exact name match, plus 20 if a query word matches the
	// start of the name, plus the mean match level of the query words
	// (1–12). It never increases along the result list; hits with equal
	// Score are ordered by the remaining rules.
	Score float64
}

// term is one query word.
type term struct {
	q      string // normalized word
	s      string // Stem(q)
	digits bool   // q is all ASCII digits, so it also matches codes
}

// scratch holds per-search state indexed by document, reused via the
// Index's pool. Between searches all of cnt, sum, best and flags are zero.
type scratch struct {
	cnt   []uint8  // query words matched so far
	sum   []uint16 // sum of the best level per matched query word
	best  []uint8  // best level for the current query word, | startBit
	flags []uint8  // startBit once any query word matched the start
	cur   []int32  // documents matched by the current word (and all before)
	all   []int32  // documents matched by the first word: everything touched
	cands []candidate
}

func newScratch(n int) *scratch {
	return &scratch{
		cnt:   make([]uint8, n),
		sum:   make([]uint16, n),
		best:  make([]uint8, n),
		flags: make([]uint8, n),
	}
}

// candidate is a matching document with its ranking key.
type candidate struct {
	doc   int32
	exact bool
	start bool
	qual  uint16
	nlen  int32
	boost float64
	alpha int32
}

// Search returns all documents that match every word of query, best first.
// keep, if not nil, is called at most once per matching document (with its
// Doc.ID) before ranking; documents it rejects are left out.
//
// Query words are normalized like the index (see Normalize). Stop words
// ("und", "der", "für" …) are ignored unless the query has nothing else.
// Only the first 200 characters and 10 distinct words of a query count. A
// query without letters or digits finds nothing.
//
// A query word matches a token of Text or Extra that equals it, has the same
// Stem, starts with its stem (at least 3 characters), or contains its stem
// (or the word itself if the stem is shorter) of at least 4 characters. A
// digit-only word also matches a code that equals it or starts with it (at
// least 2 digits).
//
// Documents are ranked by, in order:
//
//	(a) exact matches first: the normalized query equals the normalized
//	    Text or its primary name (the part before the first comma or
//	    parenthesis), ignoring separators ("Tübingen" is exact for
//	    "Tübingen, Universitätsstadt"; "Hunde steuer" for "Hundesteuer");
//	(b) then documents whose first Text token a query word matches other
//	    than inside it (exactly, by stem, or as a prefix);
//	(c) then the sum over query words of the best match level: exact >
//	    same stem > prefix > stem prefix > end of a compound ("Erbschein"
//	    for "schein") > elsewhere inside a token, each in Text (or Codes)
//	    above all matches only in Extra;
//	(d) then fewer tokens in Text (for an exact match on the primary name,
//	    in the primary name), so "Elterngeld" precedes "Elterngeld
//	    Bewilligung";
//	(e) then higher Doc.Boost;
//	(f) then normalized Text, Text and ID ascending, so the order is total
//	    and deterministic.
func (ix *Index) Search(query string, keep func(id int) bool) []Hit {
	terms, compact := parseQuery(query)
	if len(terms) == 0 || len(ix.docs) == 0 {
		return nil
	}
	// sc goes back to the pool only at the end, clean; if keep panics it
	// is dropped rather than returned dirty.
	sc := ix.scratch.Get().(*scratch)

	for i, t := range terms {
		sc.cur = sc.cur[:0]
		ix.matchTerm(sc, uint8(i), t)
		for _, d := range sc.cur {
			b := sc.best[d]
			sc.best[d] = 0
			sc.cnt[d]++
			sc.sum[d] += uint16(b & levelMask)
			sc.flags[d] |= b & startBit
		}
		if i == 0 {
			sc.all = append(sc.all[:0], sc.cur...)
		}
		if len(sc.cur) == 0 {
			break
		}
	}

	// sc.cur now holds the documents every word matched.
	cands := sc.cands[:0]
	for _, d := range sc.cur {
		info := &ix.docs[d]
		if keep != nil && !keep(info.id) {
			continue
		}
		c := candidate{
			doc:   d,
			start: sc.flags[d]&startBit != 0,
			qual:  sc.sum[d],
			nlen:  info.nameLen,
			boost: info.boost,
			alpha: info.alpha,
		}
		switch {
		case compact == info.compact:
			c.exact, c.start = true, true
		case compact == info.primary:
			c.exact, c.start = true, true
			c.nlen = info.primLen
		}
		cands = append(cands, c)
	}
	for _, d := range sc.all {
		sc.cnt[d], sc.sum[d], sc.flags[d] = 0, 0, 0
	}
	if len(cands) == 0 {
		ix.scratch.Put(sc)
		return nil
	}

	slices.SortFunc(cands, compareCandidates)
	hits := make([]Hit, len(cands))
	for i, c := range cands {
		score := float64(c.qual) / float64(len(terms))
		if c.start {
			score += 20
		}
		if c.exact {
			score += 100
		}
		hits[i] = Hit{ID: ix.docs[c.doc].id, Score: score}
	}
	sc.cands = cands[:0]
	ix.scratch.Put(sc)
	return hits
}

// compareCandidates orders by the ranking rules of Search, best first.
func compareCandidates(a, b candidate) int {
	if a.exact != b.exact {
		if a.exact {
			return -1
		}
		return 1
	}
	if a.start != b.start {
		if a.start {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(b.qual, a.qual); c != 0 {
		return c
	}
	if c := cmp.Compare(a.nlen, b.nlen); c != 0 {
		return c
	}
	if c := cmp.Compare(b.boost, a.boost); c != 0 {
		return c
	}
	return cmp.Compare(a.alpha, b.alpha)
}

// parseQuery cuts and tokenizes query. It returns the distinct non-stop
// words (all words if there are only stop words), at most maxTerms, and the
// concatenation of all tokens for exact matching.
func parseQuery(query string) (terms []term, compact string) {
	cut := false
	n := 0
	for i, r := range query {
		if n == maxQueryRunes {
			// A word cut in two would be matched as a prefix or not at
			// all; leave it out unless it is all there is.
			cut = isWordRune(r)
			query = query[:i]
			break
		}
		n++
	}
	toks := Tokens(query)
	if cut && len(toks) > 1 {
		if r, _ := utf8.DecodeLastRuneInString(query); isWordRune(r) {
			toks = toks[:len(toks)-1]
		}
	}
	compact = strings.Join(toks, "")
	onlyStop := true
	for _, t := range toks {
		if !stopWords[t] {
			onlyStop = false
			break
		}
	}
	for _, t := range toks {
		if len(terms) == maxTerms {
			break
		}
		if (!onlyStop && stopWords[t]) || slices.ContainsFunc(terms, func(x term) bool { return x.q == t }) {
			continue
		}
		terms = append(terms, term{q: t, s: Stem(t), digits: ascii.Digits(t)})
	}
	return terms, compact
}

// isWordRune reports whether r is part of a token (see scan).
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r) || unicode.Is(unicode.Cf, r)
}

// matchTerm records in sc the best level of query word number i for every
// document that matched all words before it.
func (ix *Index) matchTerm(sc *scratch, i uint8, t term) {
	if len(t.s) >= minPrefix {
		// Every token that equals q, shares its stem or starts with q also
		// starts with the stem (Stem only removes endings), so one range
		// covers all kinds but infix.
		lo, hi := prefixRange(ix.vocab, t.s)
		for v := lo; v < hi; v++ {
			tok := ix.vocab[v]
			kind := kindStemPrefix
			switch {
			case tok == t.q:
				kind = kindExact
			case ix.stems[v] == t.s:
				kind = kindStem
			case strings.HasPrefix(tok, t.q):
				kind = kindPrefix
			}
			sc.visit(ix.post[ix.postAt[v]:ix.postAt[v+1]], i, kind)
		}
		if !t.digits {
			ix.matchInfix(sc, i, t, lo, hi)
		}
	} else if v, ok := slices.BinarySearch(ix.vocab, t.q); ok {
		// Short words ("eu", "a") only match whole tokens; as prefixes
		// they would match half the index.
		sc.visit(ix.post[ix.postAt[v]:ix.postAt[v+1]], i, kindExact)
	}
	if t.digits {
		lo, hi := prefixRange(ix.codes, t.q)
		if lo < hi && ix.codes[lo] == t.q {
			sc.visitDocs(ix.codePost[ix.codeAt[lo]:ix.codeAt[lo+1]], i, kindExact+textBonus)
			lo++
		}
		if len(t.q) >= minCodePrefix {
			sc.visitDocs(ix.codePost[ix.codeAt[lo]:ix.codeAt[hi]], i, kindPrefix+textBonus)
		}
	}
}

// matchInfix matches tokens that contain the stem of t (or t itself when
// the stem is too short) other than at their start; tokens in [lo, hi)
// start with the stem and were matched already.
func (ix *Index) matchInfix(sc *scratch, i uint8, t term, lo, hi int) {
	needle := t.s
	if len(needle) < minInfix {
		needle = t.q
	}
	if len(needle) < minInfix {
		return
	}
	for pos := 0; ; {
		j := strings.Index(ix.blob[pos:], needle)
		if j < 0 {
			return
		}
		at := int32(pos + j)
		// The token containing at is the last one starting at or before it.
		v, found := slices.BinarySearch(ix.blobAt, at)
		if !found {
			v--
		}
		if v < lo || v >= hi {
			// German compounds put the head last: "Erbschein" is a
			// Schein, "Bescheinigung" is not.
			kind := kindInfix
			if strings.HasSuffix(ix.stems[v], t.s) || strings.HasSuffix(ix.vocab[v], t.q) {
				kind = kindSuffix
			}
			sc.visit(ix.post[ix.postAt[v]:ix.postAt[v+1]], i, kind)
		}
		// One match per token is enough; continue after it.
		pos = int(ix.blobAt[v]) + len(ix.vocab[v]) + 1
		if pos >= len(ix.blob) {
			return
		}
	}
}

// prefixRange returns the range of the sorted list that starts with p.
func prefixRange(list []string, p string) (lo, hi int) {
	lo, _ = slices.BinarySearch(list, p)
	// No UTF-8 text contains the byte 0xff, so p+"\xff" sorts after every
	// string with prefix p and before every larger one.
	hi, _ = slices.BinarySearch(list[lo:], p+"\xff")
	return lo, lo + hi
}

// visit records kind for the documents of a token's postings that matched
// all earlier query words (cnt == i).
func (sc *scratch) visit(ps []posting, i uint8, kind uint8) {
	for _, p := range ps {
		if sc.cnt[p.doc] != i {
			continue
		}
		lvl := kind
		if p.flags&inText != 0 {
			lvl += textBonus
			if p.flags&atStart != 0 && kind >= kindStemPrefix {
				lvl |= startBit
			}
		}
		sc.record(p.doc, lvl)
	}
}

// visitDocs records level lvl for docs that matched all earlier words.
func (sc *scratch) visitDocs(docs []int32, i uint8, lvl uint8) {
	for _, d := range docs {
		if sc.cnt[d] == i {
			sc.record(d, lvl)
		}
	}
}

// record keeps the best level and any start flag of document d for the
// current query word.
func (sc *scratch) record(d int32, lvl uint8) {
	b := sc.best[d]
	if b == 0 {
		sc.cur = append(sc.cur, d)
	}
	sc.best[d] = max(b&levelMask, lvl&levelMask) | (b|lvl)&startBit
}
