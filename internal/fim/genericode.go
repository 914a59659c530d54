package fim

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// CodeList is a genericode 1.0 code list reduced to code and name.
type CodeList struct {
	ShortName, LongName string
	Version             string
	CanonicalURI        string
	CanonicalVersionURI string
	CodeColumn          string // column id of the code
	NameColumn          string // column id of the name, "" when there is none
	Entries             []Entry
	Source              string // file it came from, if any
}

// Entry is one row: its code and its name.
type Entry struct {
	Code, Name string
}

// Codes returns the codes in order.
func (l *CodeList) Codes() []string {
	out := make([]string, len(l.Entries))
	for i, e := range l.Entries {
		out[i] = e.Code
	}
	return out
}

// ErrNotGenericode is wrapped by ParseCodeList when the document is XML
// but no genericode CodeList.
var ErrNotGenericode = errors.New("not a genericode code list")

// ParseCodeList reads a genericode 1.0 CodeList.
//
// Columns: the code is the first column of the first key (genericode's
// key definition; XRepository lists call it "codeKey"). The name is the
// column of the second key when there is one (XRepository's
// "codenameKey"); otherwise the first other column of type string. Rows
// without a code are skipped; duplicate codes are an error.
func ParseCodeList(r io.Reader) (*CodeList, error) {
	root, err := readTree(r)
	if err != nil {
		return nil, err
	}
	if root.local != "CodeList" || root.space != NamespaceGenericode {
		return nil, &ParseError{Line: root.line, Column: root.col, Err: ErrNotGenericode,
			Msg: fmt.Sprintf("<%s xmlns=%q> is not a genericode 1.0 CodeList", root.local, root.space)}
	}
	l := &CodeList{}
	id := root.child("Identification")
	l.ShortName = id.str("ShortName")
	l.LongName = id.str("LongName")
	l.Version = id.str("Version")
	l.CanonicalURI = id.str("CanonicalUri")
	l.CanonicalVersionURI = id.str("CanonicalVersionUri")
	if l.CanonicalVersionURI == "" && l.CanonicalURI != "" && l.Version != "" {
		l.CanonicalVersionURI = l.CanonicalURI + "_" + l.Version
	}
	if l.CanonicalVersionURI == "" {
		return nil, &ParseError{Line: root.line, Column: root.col, Msg: "genericode list without CanonicalVersionUri"}
	}
	cs := root.child("ColumnSet")
	type column struct{ id, typ string }
	var cols []column
	for _, c := range cs.all("Column") {
		cols = append(cols, column{id: c.attr("Id"), typ: c.child("Data").attr("Type")})
	}
	var keyCols []string
	for _, k := range cs.all("Key") {
		if ref := k.child("ColumnRef").attr("Ref"); ref != "" {
			keyCols = append(keyCols, ref)
		}
	}
	switch {
	case len(keyCols) > 0:
		l.CodeColumn = keyCols[0]
	case len(cols) > 0:
		l.CodeColumn = cols[0].id
	default:
		return nil, &ParseError{Line: root.line, Column: root.col, Msg: "genericode list without columns"}
	}
	if len(keyCols) > 1 && keyCols[1] != l.CodeColumn {
		l.NameColumn = keyCols[1]
	} else {
		for _, c := range cols {
			if c.id != l.CodeColumn && (c.typ == "" || c.typ == "string" || c.typ == "normalizedString" || c.typ == "token") {
				l.NameColumn = c.id
				break
			}
		}
	}
	seen := map[string]bool{}
	for _, row := range root.child("SimpleCodeList").all("Row") {
		var e Entry
		for i, v := range row.all("Value") {
			ref := v.attr("ColumnRef")
			if ref == "" && i < len(cols) { // values may be positional
				ref = cols[i].id
			}
			val := v.str("SimpleValue")
			switch ref {
			case l.CodeColumn:
				e.Code = val
			case l.NameColumn:
				e.Name = val
			}
		}
		if e.Code == "" {
			continue
		}
		if seen[e.Code] {
			return nil, &ParseError{Line: row.line, Column: row.col, Msg: fmt.Sprintf("code %q appears twice in %s", e.Code, l.CanonicalVersionURI)}
		}
		seen[e.Code] = true
		l.Entries = append(l.Entries, e)
	}
	return l, nil
}

// ParseCodeListFile reads a genericode file.
func ParseCodeListFile(path string) (*CodeList, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	l, err := ParseCodeList(f)
	if err != nil {
		return nil, err
	}
	l.Source = path
	return l, nil
}

// CodeListStore holds code lists by canonical version URI.
type CodeListStore struct {
	byVersionURI map[string]*CodeList
	byURI        map[string][]*CodeList
}

// NewCodeListStore returns an empty store.
func NewCodeListStore() *CodeListStore {
	return &CodeListStore{byVersionURI: map[string]*CodeList{}, byURI: map[string][]*CodeList{}}
}

// Add stores a list; a second list with the same canonical version URI
// replaces the first.
func (s *CodeListStore) Add(l *CodeList) {
	if old := s.byVersionURI[l.CanonicalVersionURI]; old != nil {
		lists := s.byURI[old.CanonicalURI]
		for i, o := range lists {
			if o == old {
				s.byURI[old.CanonicalURI] = append(lists[:i:i], lists[i+1:]...)
				break
			}
		}
	}
	s.byVersionURI[l.CanonicalVersionURI] = l
	s.byURI[l.CanonicalURI] = append(s.byURI[l.CanonicalURI], l)
}

// Len is the number of lists.
func (s *CodeListStore) Len() int { return len(s.byVersionURI) }

// LoadDir adds every genericode file (*.xml) of dir, not descending into
// sub-folders. Files that are XML but no genericode (such as the schema
// beside its lists) are skipped silently; broken lists are skipped with a
// warning. The error is only for an unreadable folder.
func (s *CodeListStore) LoadDir(dir string) (loaded int, warnings []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, nil, err
	}
	for _, de := range entries {
		if de.IsDir() || !strings.EqualFold(filepath.Ext(de.Name()), ".xml") {
			continue
		}
		path := filepath.Join(dir, de.Name())
		l, err := ParseCodeListFile(path)
		if errors.Is(err, ErrNotGenericode) {
			continue
		}
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: %v (skipped)", path, err))
			continue
		}
		s.Add(l)
		loaded++
	}
	return loaded, warnings, nil
}

// Resolution says how a reference was resolved.
type Resolution int

// Resolutions.
const (
	ResolvedExact        Resolution = iota // the referenced version
	ResolvedOtherVersion                   // the newest other version of the same list
	ResolvedMissing                        // no version at hand: the field takes free text
)

func (r Resolution) String() string {
	switch r {
	case ResolvedExact:
		return "exact"
	case ResolvedOtherVersion:
		return "other version"
	}
	return "missing"
}

// Resolved is the outcome of resolving a code list reference.
type Resolved struct {
	Ref     CodeListRef
	How     Resolution
	List    *CodeList // nil when missing
	Warning string    // set unless exact
}

// Resolve finds the list a reference names: the exact canonical version
// URI, else the newest version of the same canonical URI (with a
// warning), else nothing (with a warning).
func (s *CodeListStore) Resolve(ref CodeListRef) Resolved {
	key := ref.Key()
	if s != nil {
		if l := s.byVersionURI[key]; l != nil {
			return Resolved{Ref: ref, How: ResolvedExact, List: l}
		}
		uri := ref.CanonicalURI
		if uri == "" { // derive it from "uri_version"
			if i := strings.LastIndex(key, "_"); i > 0 {
				uri = key[:i]
			}
		}
		if lists := s.byURI[uri]; len(lists) > 0 {
			newest := lists[0]
			for _, l := range lists[1:] {
				if compareVersions(l.Version, newest.Version) > 0 {
					newest = l
				}
			}
			return Resolved{Ref: ref, How: ResolvedOtherVersion, List: newest,
				Warning: fmt.Sprintf("code list %s not found; using version %s (%s) instead", key, newest.Version, newest.CanonicalVersionURI)}
		}
	}
	return Resolved{Ref: ref, How: ResolvedMissing,
		Warning: fmt.Sprintf("code list %s not found; the field accepts free text", key)}
}

// compareVersions compares versions such as "2021-02-19" or "3" or "1.2.0"
// by their numeric parts, then as strings.
func compareVersions(a, b string) int {
	na, nb := numParts(a), numParts(b)
	for i := 0; i < len(na) && i < len(nb); i++ {
		if na[i] != nb[i] {
			if na[i] < nb[i] {
				return -1
			}
			return 1
		}
	}
	if len(na) != len(nb) {
		if len(na) < len(nb) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

func numParts(s string) []uint64 {
	var out []uint64
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsDigit(r) || r > unicode.MaxASCII }) {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			n = 1<<64 - 1
		}
		out = append(out, n)
	}
	return out
}

// Lists returns all lists sorted by canonical version URI.
func (s *CodeListStore) Lists() []*CodeList {
	out := make([]*CodeList, 0, len(s.byVersionURI))
	for _, l := range s.byVersionURI {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CanonicalVersionURI < out[j].CanonicalVersionURI })
	return out
}
