package form

import "strings"

// Evidence is what a form asks of documents (Nachweise), for the Reifegrad
// criterion "all evidence can be uploaded" (OZG-Reifegradmodell, level 3).
//
// FIM data fields do not mark a field as "evidence"; what the model knows
// is the data type. The rule is therefore: every field of data type file
// (or obj, which the runtime also takes as an upload) is a document the
// form asks for, and it counts as uploadable when the applicant can use
// it, i.e. it is neither hidden nor locked (Feldart). A form also leaves
// the digital path when its texts tell the applicant to send a document
// on paper ("per Post", "im Original", ...): such a document cannot be
// uploaded whatever the fields say. A form that asks for no document
// meets the criterion: there is nothing left to send on paper.
type Evidence struct {
	Uploads []string // titles of the upload fields the applicant can use
	Blocked []string // upload fields the applicant cannot use (hidden or locked)
	Paper   []string // titles of elements whose texts ask for a document on paper
}

// AllUploadable reports whether every document the form asks for can be
// uploaded in it.
func (e Evidence) AllUploadable() bool { return len(e.Blocked) == 0 && len(e.Paper) == 0 }

// paperPhrases are what German forms say when a document must go on paper
// (compared in lower case).
var paperPhrases = []string{
	"per post", "auf dem postweg", "postalisch", "in papierform", "auf papier",
	"im original vorlegen", "im original vorzulegen", "im original einreichen", "im original einzureichen", "im original einsenden", "im original zusenden",
	"persönlich vorlegen", "persönlich vorbeibringen", "nachreichen", "nachgereicht",
}

// PaperText reports whether s asks for a document on paper.
func PaperText(s string) bool {
	s = strings.ToLower(s)
	for _, p := range paperPhrases {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// Evidence lists the documents the form asks for (see Evidence).
func (m *Model) Evidence() Evidence {
	var out Evidence
	if m == nil || m.Root == nil {
		return out
	}
	seen := map[string]bool{}
	m.Root.Walk(func(n *Node) {
		e := n.Element
		if e == nil {
			return
		}
		if !n.IsGroup() && n.IsFile() {
			if e.Feldart == "hidden" || e.Feldart == "locked" {
				out.Blocked = append(out.Blocked, n.Title())
			} else {
				out.Uploads = append(out.Uploads, n.Title())
			}
		}
		key := e.ID + " " + e.Version
		if seen[key] {
			return
		}
		seen[key] = true
		for _, t := range []string{e.BezeichnungEingabe, e.HilfetextEingabe, e.Inhalt} {
			if PaperText(t) {
				out.Paper = append(out.Paper, n.Title())
				break
			}
		}
	})
	return out
}
