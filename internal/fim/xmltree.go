package fim

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// maxDepth bounds the nesting of elements; real forms stay far below it.
const maxDepth = 256

// ParseError is an error in a document, with its position where known.
type ParseError struct {
	Line, Column int
	Msg          string
	Err          error // a sentinel such as ErrUnsupportedFormat, or nil
}

func (e *ParseError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

func (e *ParseError) Unwrap() error { return e.Err }

// Sentinels for errors.Is.
var (
	// ErrUnsupportedFormat: a known but unsupported format (XDatenfelder 1).
	ErrUnsupportedFormat = errors.New("unsupported format")
	// ErrUnknownRoot: the document is XML but not a supported message.
	ErrUnknownRoot = errors.New("unknown document")
	// ErrMalformed: the document is not well-formed XML or too large.
	ErrMalformed = errors.New("malformed document")
)

// node is an element of a small DOM; the whole document is bounded by
// MaxInputSize, so building it in memory is safe.
type node struct {
	space, local string
	attrs        []xml.Attr
	kids         []*node
	text         string
	line, col    int
}

// readTree reads a bounded XML document into a tree.
func readTree(r io.Reader) (*node, error) { return readTreeLimit(r, MaxInputSize) }

func readTreeLimit(r io.Reader, limit int64) (*node, error) {
	lr := &io.LimitedReader{R: r, N: limit + 1}
	d := xml.NewDecoder(lr)
	d.CharsetReader = charsetReader
	var root *node
	var stack []*node
	var text []*strings.Builder
	for {
		tok, err := d.Token()
		if lr.N <= 0 {
			return nil, &ParseError{Msg: fmt.Sprintf("document larger than %d bytes", limit), Err: ErrMalformed}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			line, col := d.InputPos()
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				line, col = se.Line, 0
				return nil, &ParseError{Line: line, Msg: "broken XML: " + se.Msg, Err: ErrMalformed}
			}
			return nil, &ParseError{Line: line, Column: col, Msg: "broken XML: " + err.Error(), Err: ErrMalformed}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			line, col := d.InputPos()
			if len(stack) >= maxDepth {
				return nil, &ParseError{Line: line, Column: col, Msg: fmt.Sprintf("elements nested deeper than %d levels", maxDepth), Err: ErrMalformed}
			}
			if root != nil && len(stack) == 0 {
				return nil, &ParseError{Line: line, Column: col, Msg: "broken XML: more than one root element", Err: ErrMalformed}
			}
			n := &node{space: t.Name.Space, local: t.Name.Local, attrs: t.Attr, line: line, col: col}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
			text = append(text, &strings.Builder{})
		case xml.EndElement:
			n := stack[len(stack)-1]
			n.text = text[len(text)-1].String()
			stack, text = stack[:len(stack)-1], text[:len(text)-1]
		case xml.CharData:
			if len(text) > 0 {
				text[len(text)-1].Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				line, col := d.InputPos()
				return nil, &ParseError{Line: line, Column: col, Msg: "broken XML: text outside the root element", Err: ErrMalformed}
			}
		}
	}
	if root == nil {
		return nil, &ParseError{Msg: "broken XML: no root element", Err: ErrMalformed}
	}
	return root, nil
}

// charsetReader accepts the encodings FIM files use besides UTF-8.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return in, nil
	case "iso-8859-1", "latin1", "latin-1", "iso8859-1":
		return &latin1Reader{r: in}, nil
	}
	return nil, fmt.Errorf("unsupported encoding %q (use UTF-8)", label)
}

type latin1Reader struct {
	r   io.Reader
	buf []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	if len(l.buf) == 0 {
		raw := make([]byte, max(len(p)/2, 1))
		n, err := l.r.Read(raw)
		for _, b := range raw[:n] {
			l.buf = utf8.AppendRune(l.buf, rune(b))
		}
		if n == 0 {
			return 0, err
		}
	}
	n := copy(p, l.buf)
	l.buf = l.buf[n:]
	return n, nil
}

// child returns the first child element with the local name.
func (n *node) child(local string) *node {
	if n == nil {
		return nil
	}
	for _, k := range n.kids {
		if k.local == local {
			return k
		}
	}
	return nil
}

// all returns every child element with the local name.
func (n *node) all(local string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, k := range n.kids {
		if k.local == local {
			out = append(out, k)
		}
	}
	return out
}

// str is the trimmed text of the first child with the local name; line
// ends are normalised to "\n".
func (n *node) str(local string) string {
	return clean(n.child(local).textOf())
}

func (n *node) textOf() string {
	if n == nil {
		return ""
	}
	return n.text
}

func clean(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimSpace(s)
}

// attr returns the value of the attribute with the local name.
func (n *node) attr(local string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.attrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// code reads a code-list value element: <x listURI=… listVersionID=…><code>…</code></x>.
func (n *node) code(local string) Code {
	c := n.child(local)
	if c == nil {
		return Code{}
	}
	return Code{Code: c.str("code"), ListURI: c.attr("listURI"), ListVersionID: c.attr("listVersionID")}
}
