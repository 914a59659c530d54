package catalog

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxImportSize bounds an import file; the real files are 1–2 MB.
const MaxImportSize = 256 << 20

// CatalogData is a parsed and validated catalog file.
type CatalogData struct {
	Source        string
	Themenfelder  []Themenfeld
	Lebenslagen   []Lebenslage
	OZGLeistungen []OZGLeistung
	Leistungen    []Leistung
}

// ParseError names the place in an import file that is wrong.
type ParseError struct {
	Line   int    // 1-based line in the file, 0 when unknown
	Record string // "leika_leistungen[17]" or "" for CSV
	Msg    string
}

func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Record != "" {
		fmt.Fprintf(&b, "%s: ", e.Record)
	}
	b.WriteString(e.Msg)
	return b.String()
}

var (
	digits   = regexp.MustCompile(`^[0-9]+$`)
	leikaKey = regexp.MustCompile(`^[0-9]{14}$`)
)

// rawCatalog mirrors the JSON file; pointers tell missing from empty.
type rawThemenfeld struct {
	ID   *int    `json:"id"`
	Name *string `json:"name"`
}
type rawLebenslage struct {
	ID           *int    `json:"id"`
	ThemenfeldID *int    `json:"themenfeld_id"`
	Name         *string `json:"name"`
}
type rawOZG struct {
	ID           *string `json:"ozg_id"`
	Name         *string `json:"name"`
	LebenslageID *int    `json:"lebenslage_id"`
}
type rawLeistung struct {
	Key              *string `json:"leika_schluessel"`
	Name             *string `json:"name"`
	Typisierung      *string `json:"typisierung"`
	OZGID            *string `json:"ozg_id"`
	Rechtsgrundlagen *string `json:"rechtsgrundlagen_kurz"`
}

// ParseCatalog reads and checks a catalog JSON file (the format of
// data/ozg-katalog.json). Errors name the line and record at fault.
func ParseCatalog(r io.Reader) (*CatalogData, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxImportSize+1))
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	if len(raw) > MaxImportSize {
		return nil, &ParseError{Msg: fmt.Sprintf("file larger than %d MiB", MaxImportSize>>20)}
	}
	if !utf8.Valid(raw) {
		return nil, &ParseError{Line: badUTF8Line(raw), Msg: "not valid UTF-8"}
	}
	lines := newLineIndex(raw)
	dec := json.NewDecoder(bytes.NewReader(raw))
	fail := func(rec string, off int64, format string, args ...any) error {
		// Offsets point just past the previous token; the record starts
		// after the separator and whitespace.
		off = max(off, 0)
		for off < int64(len(raw)) && strings.IndexByte(" \t\r\n,:", raw[off]) >= 0 {
			off++
		}
		return &ParseError{Line: lines.line(off), Record: rec, Msg: fmt.Sprintf(format, args...)}
	}
	// jsonErrAt turns a decoding error into a ParseError. Type errors carry
	// offsets relative to the value being decoded, which starts at base. The
	// streaming Decoder's syntax offsets are not usable as positions, so the
	// whole file is checked once more with the non-streaming scanner, whose
	// offset is absolute.
	jsonErrAt := func(rec string, base int64, err error) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			var whole any
			if err2 := json.Unmarshal(raw, &whole); errors.As(err2, &se) {
				return fail(rec, se.Offset-1, "JSON syntax error: %v", se)
			}
			return fail(rec, base, "JSON syntax error: %v", err)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fail(rec, base+te.Offset-1, "field %q has the wrong type (%s where %s is expected)", te.Field, te.Value, te.Type)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return fail(rec, int64(len(raw))-1, "file ends in the middle of the JSON")
		}
		return fail(rec, dec.InputOffset(), "%v", err)
	}
	jsonErr := func(err error) error { return jsonErrAt("", 0, err) }
	if t, err := dec.Token(); err != nil {
		return nil, jsonErr(err)
	} else if d, ok := t.(json.Delim); !ok || d != '{' {
		return nil, fail("", 0, "expected a JSON object with themenfelder, lebenslagen, ozg_leistungen and leika_leistungen")
	}
	var (
		tf   []rawThemenfeld
		ll   []rawLebenslage
		ozg  []rawOZG
		lk   []rawLeistung
		offs = map[string][]int64{}
		seen = map[string]bool{}
		out  = &CatalogData{}
	)
	decodeArray := func(name string, each func() error) error {
		if t, err := dec.Token(); err != nil {
			return jsonErr(err)
		} else if d, ok := t.(json.Delim); !ok || d != '[' {
			return fail(name, dec.InputOffset(), "expected an array")
		}
		for dec.More() {
			base := dec.InputOffset()
			offs[name] = append(offs[name], base)
			if err := each(); err != nil {
				return jsonErrAt(fmt.Sprintf("%s[%d]", name, len(offs[name])-1), base, err)
			}
		}
		_, err := dec.Token()
		return err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, jsonErr(err)
		}
		key, _ := t.(string)
		if seen[key] {
			return nil, fail("", dec.InputOffset(), "key %q appears twice", key)
		}
		seen[key] = true
		switch key {
		case "quelle":
			if err := dec.Decode(&out.Source); err != nil {
				return nil, jsonErr(err)
			}
		case "themenfelder":
			err = decodeArray(key, func() error { var v rawThemenfeld; err := dec.Decode(&v); tf = append(tf, v); return err })
		case "lebenslagen":
			err = decodeArray(key, func() error { var v rawLebenslage; err := dec.Decode(&v); ll = append(ll, v); return err })
		case "ozg_leistungen":
			err = decodeArray(key, func() error { var v rawOZG; err := dec.Decode(&v); ozg = append(ozg, v); return err })
		case "leika_leistungen":
			err = decodeArray(key, func() error { var v rawLeistung; err := dec.Decode(&v); lk = append(lk, v); return err })
		default:
			// Unknown top-level keys are skipped: newer files may carry more.
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, jsonErr(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fail("", dec.InputOffset(), "unexpected data after the JSON object")
	}
	for _, k := range []string{"themenfelder", "lebenslagen", "ozg_leistungen", "leika_leistungen"} {
		if !seen[k] {
			return nil, &ParseError{Msg: fmt.Sprintf("the file has no %q array; is it a catalog file?", k)}
		}
	}
	at := func(arr string, i int) (string, int64) { return fmt.Sprintf("%s[%d]", arr, i), offs[arr][i] }

	tfIDs := map[int]bool{}
	for i, v := range tf {
		rec, off := at("themenfelder", i)
		switch {
		case v.ID == nil || *v.ID <= 0:
			return nil, fail(rec, off, "id must be a positive number")
		case tfIDs[*v.ID]:
			return nil, fail(rec, off, "id %d appears twice", *v.ID)
		case v.Name == nil || strings.TrimSpace(*v.Name) == "":
			return nil, fail(rec, off, "name is missing")
		}
		tfIDs[*v.ID] = true
		out.Themenfelder = append(out.Themenfelder, Themenfeld{ID: *v.ID, Name: strings.TrimSpace(*v.Name)})
	}
	llIDs := map[int]bool{}
	for i, v := range ll {
		rec, off := at("lebenslagen", i)
		switch {
		case v.ID == nil || *v.ID <= 0:
			return nil, fail(rec, off, "id must be a positive number")
		case llIDs[*v.ID]:
			return nil, fail(rec, off, "id %d appears twice", *v.ID)
		case v.Name == nil || strings.TrimSpace(*v.Name) == "":
			return nil, fail(rec, off, "name is missing")
		case v.ThemenfeldID == nil || !tfIDs[*v.ThemenfeldID]:
			return nil, fail(rec, off, "themenfeld_id %s does not name a Themenfeld of the file", intOrNull(v.ThemenfeldID))
		}
		llIDs[*v.ID] = true
		out.Lebenslagen = append(out.Lebenslagen, Lebenslage{ID: *v.ID, ThemenfeldID: *v.ThemenfeldID, Name: strings.TrimSpace(*v.Name)})
	}
	ozgIDs := map[string]bool{}
	for i, v := range ozg {
		rec, off := at("ozg_leistungen", i)
		switch {
		case v.ID == nil || !digits.MatchString(*v.ID) || len(*v.ID) > 10:
			return nil, fail(rec, off, "ozg_id must be a number in quotes, like \"10000\"")
		case ozgIDs[*v.ID]:
			return nil, fail(rec, off, "ozg_id %s appears twice", *v.ID)
		case v.Name == nil || strings.TrimSpace(*v.Name) == "":
			return nil, fail(rec, off, "name is missing")
		case v.LebenslageID != nil && !llIDs[*v.LebenslageID]:
			return nil, fail(rec, off, "lebenslage_id %d does not name a Lebenslage of the file", *v.LebenslageID)
		}
		ozgIDs[*v.ID] = true
		o := OZGLeistung{ID: *v.ID, Name: strings.TrimSpace(*v.Name)}
		if v.LebenslageID != nil {
			o.LebenslageID = *v.LebenslageID
		}
		out.OZGLeistungen = append(out.OZGLeistungen, o)
	}
	refs := map[string]int{}
	for i, v := range lk {
		rec, off := at("leika_leistungen", i)
		switch {
		case v.Key != nil && !leikaKey.MatchString(*v.Key):
			return nil, fail(rec, off, "leika_schluessel %q is not a 14-digit LeiKa key", *v.Key)
		case v.Name == nil || strings.TrimSpace(*v.Name) == "":
			return nil, fail(rec, off, "name is missing")
		case v.OZGID != nil && !ozgIDs[*v.OZGID]:
			return nil, fail(rec, off, "ozg_id %s does not name an OZG-Leistung of the file", *v.OZGID)
		}
		l := Leistung{Name: strings.TrimSpace(*v.Name)}
		if v.OZGID != nil {
			l.OZGID = *v.OZGID
		}
		if v.Typisierung != nil {
			l.Typisierung = strings.TrimSpace(*v.Typisierung)
		}
		if v.Rechtsgrundlagen != nil {
			l.Rechtsgrundlagen = SplitRechtsgrundlagen(*v.Rechtsgrundlagen)
		}
		if v.Key != nil {
			l.LeiKa, l.Ref = *v.Key, *v.Key
			if j, dup := refs[l.Ref]; dup {
				return nil, fail(rec, off, "leika_schluessel %s appears twice (also in leika_leistungen[%d])", l.Ref, j)
			}
		} else {
			l.Ref = KeylessRef(l.OZGID, l.Name, 0)
			for n := 1; ; n++ {
				if _, dup := refs[l.Ref]; !dup {
					break
				}
				// The source has a few identical records; number them in file order.
				l.Ref = KeylessRef(l.OZGID, l.Name, n)
			}
		}
		refs[l.Ref] = i
		out.Leistungen = append(out.Leistungen, l)
	}
	return out, nil
}

// KeylessRef is the stable reference of a catalog entry without a LeiKa key:
// "x" and 13 hex digits of a hash of its OZG-ID and name (and its number
// among identical entries). Re-importing the same file yields the same refs.
func KeylessRef(ozgID, name string, n int) string {
	s := ozgID + "\x00" + name
	if n > 0 {
		s += "\x00" + strconv.Itoa(n)
	}
	h := sha256.Sum256([]byte(s))
	return "x" + hex.EncodeToString(h[:])[:13]
}

// SplitRechtsgrundlagen splits "BauGB, BBodSchG" into its short names,
// dropping duplicates that differ only in case ("JarbSchG, JArbSchG").
func SplitRechtsgrundlagen(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" || seen[strings.ToLower(p)] {
			continue
		}
		seen[strings.ToLower(p)] = true
		out = append(out, p)
	}
	return out
}

func intOrNull(p *int) string {
	if p == nil {
		return "null"
	}
	return strconv.Itoa(*p)
}

// lineIndex maps byte offsets to 1-based line numbers.
type lineIndex []int64

func newLineIndex(b []byte) lineIndex {
	idx := lineIndex{0}
	for i, c := range b {
		if c == '\n' {
			idx = append(idx, int64(i+1))
		}
	}
	return idx
}

func (li lineIndex) line(off int64) int {
	return sort.Search(len(li), func(i int) bool { return li[i] > off })
}

func badUTF8Line(b []byte) int {
	line := 1
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		b = b[size:]
	}
	return line
}

// regionHeader is the required CSV header.
var regionHeader = []string{"ebene", "ars", "ags", "name", "art", "uebergeordnet_ars", "flaeche_km2", "bevoelkerung", "plz", "laengengrad", "breitengrad"}

// ParseRegions reads and checks a region CSV file (the format of
// data/regionen.csv): every region's ARS fits its level, every parent exists
// and is a higher level whose ARS prefixes the child's. Errors name the line.
// Warnings are dropped; see ParseRegionsWarn.
func ParseRegions(r io.Reader) ([]Region, error) {
	rs, _, err := ParseRegionsWarn(r)
	return rs, err
}

// ParseRegionsWarn is ParseRegions that also returns warnings about data it
// repaired. The official Gemeindeverzeichnis has regions whose parent is not
// itself listed (the German-Luxembourg condominium 070009999 names the Kreis
// 07000, which does not exist); such a region is attached to its nearest
// listed ancestor by ARS prefix, and a warning names the line.
func ParseRegionsWarn(r io.Reader) ([]Region, []string, error) {
	var warnings []string
	cr := csv.NewReader(io.LimitReader(r, MaxImportSize))
	cr.ReuseRecord = false
	cr.FieldsPerRecord = len(regionHeader)
	header, err := cr.Read()
	if err != nil {
		return nil, nil, csvError(err, 1)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	for i, h := range regionHeader {
		if strings.TrimSpace(header[i]) != h {
			return nil, nil, &ParseError{Line: 1, Msg: fmt.Sprintf("column %d is %q, expected %q (header: %s)", i+1, header[i], h, strings.Join(regionHeader, ","))}
		}
	}
	var out []Region
	byARS := map[string]int{}
	lineOf := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, csvError(err, 0)
		}
		line, _ := cr.FieldPos(0)
		fail := func(format string, args ...any) error {
			return &ParseError{Line: line, Msg: fmt.Sprintf(format, args...)}
		}
		for i, f := range rec {
			if !utf8.ValidString(f) {
				return nil, nil, fail("column %s is not valid UTF-8", regionHeader[i])
			}
			rec[i] = strings.TrimSpace(f)
		}
		reg := Region{Ebene: Ebene(rec[0]), ARS: rec[1], AGS: rec[2], Name: rec[3], Art: rec[4], ParentARS: rec[5], PLZ: rec[8]}
		if !reg.Ebene.Valid() {
			return nil, nil, fail("ebene %q is not one of land, regierungsbezirk, kreis, gemeindeverband, gemeinde", rec[0])
		}
		if n := ARSLength[reg.Ebene]; len(reg.ARS) != n || !digits.MatchString(reg.ARS) {
			return nil, nil, fail("ars %q of a %s must have %d digits", reg.ARS, reg.Ebene, n)
		}
		if j, dup := byARS[reg.ARS]; dup {
			return nil, nil, fail("ars %s appears twice (also on line %d)", reg.ARS, lineOf[out[j].ARS])
		}
		if reg.Name == "" {
			return nil, nil, fail("name is missing")
		}
		if reg.AGS != "" && (len(reg.AGS) != 8 || !digits.MatchString(reg.AGS)) {
			return nil, nil, fail("ags %q must have 8 digits", reg.AGS)
		}
		if reg.Ebene == Land && reg.ParentARS != "" {
			return nil, nil, fail("a Land has no uebergeordnet_ars")
		}
		if reg.Ebene != Land && reg.ParentARS == "" {
			return nil, nil, fail("uebergeordnet_ars is missing")
		}
		if reg.PLZ != "" && (len(reg.PLZ) != 5 || !digits.MatchString(reg.PLZ)) {
			return nil, nil, fail("plz %q must have 5 digits", reg.PLZ)
		}
		if reg.FlaecheKM2, err = optFloat(rec[6], 0, 1e6); err != nil {
			return nil, nil, fail("flaeche_km2: %v", err)
		}
		if reg.Laengengrad, err = optFloat(rec[9], -180, 180); err != nil {
			return nil, nil, fail("laengengrad: %v", err)
		}
		if reg.Breitengrad, err = optFloat(rec[10], -90, 90); err != nil {
			return nil, nil, fail("breitengrad: %v", err)
		}
		if rec[7] != "" {
			n, err := strconv.ParseInt(rec[7], 10, 64)
			if err != nil || n < 0 {
				return nil, nil, fail("bevoelkerung %q is not a whole number", rec[7])
			}
			reg.Bevoelkerung = &n
		}
		byARS[reg.ARS] = len(out)
		lineOf[reg.ARS] = line
		out = append(out, reg)
	}
	level := map[Ebene]int{}
	for i, e := range Ebenen {
		level[e] = i
	}
	for _, reg := range out {
		if reg.ParentARS == "" {
			continue
		}
		j, ok := byARS[reg.ParentARS]
		fail := func(format string, args ...any) error {
			return &ParseError{Line: lineOf[reg.ARS], Msg: fmt.Sprintf(format, args...)}
		}
		if !ok {
			// Attach to the nearest listed ancestor whose ARS prefixes the
			// missing parent's.
			for _, n := range []int{9, 5, 3, 2} {
				if n < len(reg.ParentARS) {
					if k, found := byARS[reg.ParentARS[:n]]; found {
						j, ok = k, true
						break
					}
				}
			}
			if !ok {
				return nil, nil, fail("uebergeordnet_ars %s of %s is not in the file", reg.ParentARS, reg.ARS)
			}
			warnings = append(warnings, fmt.Sprintf("line %d: uebergeordnet_ars %s of %s (%s) is not in the file; attached to %s (%s)",
				lineOf[reg.ARS], reg.ParentARS, reg.ARS, reg.Name, out[j].ARS, out[j].Name))
			out[byARS[reg.ARS]].ParentARS = out[j].ARS
		}
		p := out[j]
		if level[p.Ebene] >= level[reg.Ebene] || !strings.HasPrefix(reg.ARS, p.ARS) {
			return nil, nil, fail("uebergeordnet_ars %s (%s) cannot contain %s %s", p.ARS, p.Ebene, reg.Ebene, reg.ARS)
		}
	}
	if len(out) == 0 {
		return nil, nil, &ParseError{Line: 2, Msg: "the file has no regions"}
	}
	return out, warnings, nil
}

func optFloat(s string, lo, hi float64) (*float64, error) {
	if s == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < lo || f > hi {
		return nil, fmt.Errorf("%q is not a number between %g and %g", s, lo, hi)
	}
	return &f, nil
}

func csvError(err error, line int) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		msg := pe.Err.Error()
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			msg = fmt.Sprintf("expected %d columns", len(regionHeader))
		}
		return &ParseError{Line: pe.StartLine, Msg: msg}
	}
	if err == io.EOF {
		return &ParseError{Line: 1, Msg: "the file is empty"}
	}
	return &ParseError{Line: line, Msg: err.Error()}
}
