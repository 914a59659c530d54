package web

// Shared pieces of the catalog pages: input checks, search forms and
// paged result lists, breadcrumbs, number formatting.

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/i18n"
)

// perPage is the number of hits on one result page.
const perPage = 20

// maxQuery is the number of characters of a search text that count.
const maxQuery = 200

// t looks up a message in the default language, for texts composed in Go.
func (u *UI) t(key string, args ...any) string { return u.cat.T(i18n.Default, key, args...) }

// snapshot returns the catalog in memory.
func (u *UI) snapshot(r *http.Request) (*catalog.Snapshot, error) {
	if u.Catalog == nil {
		return nil, errs.E(errs.Unavailable, "")
	}
	return u.Catalog.Snapshot(r.Context())
}

// load is snapshot for handlers: on failure it renders the error page and
// returns false.
func (u *UI) load(w http.ResponseWriter, r *http.Request) (*catalog.Snapshot, bool) {
	sn, err := u.snapshot(r)
	if err != nil {
		u.RenderError(w, r, err)
		return nil, false
	}
	return sn, true
}

// badRequest is a malformed parameter; key names the German message.
func badRequest(key string) error { return errs.E(errs.BadRequest, key) }

// queryText returns the search text of parameter name: trimmed, valid
// UTF-8, at most maxQuery characters.
func queryText(v url.Values, name string) string {
	s := strings.TrimSpace(strings.ToValidUTF8(v.Get(name), ""))
	if utf8.RuneCountInString(s) > maxQuery {
		s = strings.TrimSpace(string([]rune(s)[:maxQuery]))
	}
	return s
}

// parseSeite reads the page number ("seite"); absent means 1. Anything but
// a plain positive number is a malformed request.
func parseSeite(v url.Values) (int, error) {
	vals, ok := v["seite"]
	if !ok {
		return 1, nil
	}
	if len(vals) != 1 {
		return 0, badRequest("paging.error.seite")
	}
	n, ok := catalog.ParseID(vals[0])
	if !ok || n > 100000 {
		return 0, badRequest("paging.error.seite")
	}
	return n, nil
}

// searchForm is a GET search form with one text field "q".
type searchForm struct {
	Action, ID, Label, Hint, Landmark, Value string
}

// leistungForm is the form searching Leistungen.
func (u *UI) leistungForm(q string) searchForm {
	return searchForm{Action: "/suche", ID: "q", Label: u.t("search.form.label"), Hint: u.t("search.form.hint"),
		Landmark: u.t("search.form.landmark"), Value: q}
}

// searchRequest is what a search page was asked for.
type searchRequest struct {
	Text   string
	Seite  int
	Offset int
}

// readSearch reads "q" and "seite" and loads the catalog. A malformed page
// number or a missing catalog renders the error page and returns false.
func (u *UI) readSearch(w http.ResponseWriter, r *http.Request) (searchRequest, *catalog.Snapshot, bool) {
	q := r.URL.Query()
	seite, err := parseSeite(q)
	if err != nil {
		u.RenderError(w, r, err)
		return searchRequest{}, nil, false
	}
	sn, ok := u.load(w, r)
	return searchRequest{Text: queryText(q, "q"), Seite: seite, Offset: (seite - 1) * perPage}, sn, ok
}

// ResultList is the paging state of a search page.
type ResultList struct {
	Form     searchForm
	Q        string
	Total    int
	From, To int
	Pager    pager
	// OutOfRange: the page number is beyond the last result page.
	OutOfRange bool
	FirstPage  string
}

// page fills in the paging for total hits of which shown are on this page
// and returns the page title and status: 404 beyond the last page. keys is
// the prefix of the title messages ("search.title").
func (u *UI) page(res *ResultList, path, keys string, rq searchRequest, total, shown int) (string, int) {
	res.Q, res.Total = rq.Text, total
	params := url.Values{"q": {rq.Text}}
	switch {
	case total == 0:
		return u.t(keys+".none", rq.Text), http.StatusOK
	case rq.Seite > pages(total):
		res.OutOfRange = true
		res.FirstPage = newPager(path, params, 1, total).link(1)
		return u.t(keys+".out_of_range", rq.Text, rq.Seite), http.StatusNotFound
	}
	res.From, res.To = rq.Offset+1, rq.Offset+shown
	res.Pager = newPager(path, params, rq.Seite, total)
	if rq.Seite > 1 {
		return u.t(keys+".query_page", rq.Text, rq.Seite), http.StatusOK
	}
	return u.t(keys+".query", rq.Text), http.StatusOK
}

// crumb is one entry of a breadcrumb trail; the last one, the current
// page, has no URL.
type crumb struct {
	Name string
	URL  string
}

// pager is the paging navigation of a result list.
type pager struct {
	Page, Pages  int
	Prev, Next   string // URLs, "" when there is none
	PrevN, NextN int    // their page numbers
	Links        []pageLink

	path   string
	params url.Values
}

// pageLink is a page number in the pager, or a gap ("…").
type pageLink struct {
	N       int
	URL     string
	Current bool
	Gap     bool
}

// pages is the number of result pages for total hits (at least 1).
func pages(total int) int {
	if total <= 0 {
		return 1
	}
	return (total + perPage - 1) / perPage
}

// link is the URL of result page i. The first page has no "seite"
// parameter, so it has one address only.
func (p pager) link(i int) string {
	q := url.Values{}
	for k, v := range p.params {
		q[k] = v
	}
	if i > 1 {
		q.Set("seite", strconv.Itoa(i))
	} else {
		q.Del("seite")
	}
	if len(q) == 0 {
		return p.path
	}
	return p.path + "?" + q.Encode()
}

// newPager builds the paging links of path with the query params, for page
// n of the result pages: first, last, and the neighbours of the current
// page, with gaps between.
func newPager(path string, params url.Values, n, total int) pager {
	p := pager{Page: n, Pages: pages(total), path: path, params: params}
	if p.Pages <= 1 {
		return p
	}
	if n > 1 {
		p.Prev, p.PrevN = p.link(n-1), n-1
	}
	if n < p.Pages {
		p.Next, p.NextN = p.link(n+1), n+1
	}
	prev := 0
	for i := 1; i <= p.Pages; i++ {
		// A gap of a single page shows that page instead of "…".
		near := i >= n-1 && i <= n+1 || i == 2 && n == 4 || i == p.Pages-1 && n == p.Pages-3
		if i != 1 && i != p.Pages && !near {
			continue
		}
		if prev != 0 && i > prev+1 {
			p.Links = append(p.Links, pageLink{Gap: true})
		}
		p.Links = append(p.Links, pageLink{N: i, URL: p.link(i), Current: i == n})
		prev = i
	}
	return p
}

// formatInt writes n with German digit grouping: 91.506.
func formatInt(v any) string {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	case *int64:
		if x == nil {
			return ""
		}
		n = *x
	default:
		return ""
	}
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// formatDecimal writes f with a decimal comma and up to two decimals:
// 108,06.
func formatDecimal(f *float64) string {
	if f == nil {
		return ""
	}
	s := strconv.FormatFloat(*f, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	whole, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return s
	}
	out := formatInt(n)
	if frac != "" {
		out += "," + frac
	}
	return out
}

// telURL makes a tel: link of a phone number as written ("+49 7071 000000"),
// or "" when it holds no digits. Only "+" and digits are kept, so the URL is
// safe.
func telURL(phone string) template.URL {
	var b strings.Builder
	for i, c := range phone {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == '+' && i == 0:
			b.WriteRune(c)
		}
	}
	if strings.Trim(b.String(), "+") == "" {
		return ""
	}
	return template.URL("tel:" + b.String())
}
