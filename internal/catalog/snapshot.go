package catalog

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/search"
)

// Snapshot is the whole catalog and region tree in memory, with search
// indexes. It is immutable; the Service swaps in a new one when an import
// changed the data. ~5,300 Leistungen and ~16,000 regions take a few MB,
// and reading them from memory makes every engine answer the same way.
type Snapshot struct {
	Version       string
	Themenfelder  []Themenfeld
	Lebenslagen   []Lebenslage
	OZGLeistungen []OZGLeistung
	Leistungen    []Leistung
	Regionen      []Region

	themenfeld      map[int]int
	lebenslage      map[int]int
	ozg             map[string]int
	leistung        map[string]int
	region          map[string]int
	llByThemenfeld  map[int][]int
	ozgByLebenslage map[int][]int
	lkByOZG         map[string][]int
	children        map[string][]int
	leistungIdx     *search.Index
	regionIdx       *search.Index
}

func (s *Store) loadSnapshot(ctx context.Context) (*Snapshot, error) {
	version, err := s.Version(ctx)
	if err != nil {
		return nil, err
	}
	sn := &Snapshot{Version: version}
	load := func(q string, each func(scanner) error) error {
		rows, err := s.db.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := each(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	err = load(`SELECT id, name FROM themenfelder ORDER BY name`, func(r scanner) error {
		var t Themenfeld
		err := r.Scan(&t.ID, &t.Name)
		sn.Themenfelder = append(sn.Themenfelder, t)
		return err
	})
	if err == nil {
		err = load(`SELECT id, themenfeld_id, name FROM lebenslagen ORDER BY name`, func(r scanner) error {
			var t Lebenslage
			err := r.Scan(&t.ID, &t.ThemenfeldID, &t.Name)
			sn.Lebenslagen = append(sn.Lebenslagen, t)
			return err
		})
	}
	if err == nil {
		err = load(`SELECT id, name, COALESCE(lebenslage_id, 0) FROM ozg_leistungen ORDER BY name`, func(r scanner) error {
			var t OZGLeistung
			err := r.Scan(&t.ID, &t.Name, &t.LebenslageID)
			sn.OZGLeistungen = append(sn.OZGLeistungen, t)
			return err
		})
	}
	if err == nil {
		err = load(`SELECT `+leistungCols+` FROM leistungen ORDER BY name, ref`, func(r scanner) error {
			l, err := scanLeistung(r)
			sn.Leistungen = append(sn.Leistungen, l)
			return err
		})
	}
	if err == nil {
		err = load(`SELECT `+regionCols+` FROM regionen ORDER BY ars`, func(r scanner) error {
			g, err := scanRegion(r)
			sn.Regionen = append(sn.Regionen, g)
			return err
		})
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: load: %w", err)
	}
	sn.index()
	return sn, nil
}

// sortNames orders German names case-insensitively with umlauts folded, so
// "Ärztliche …" sorts among the A's.
func sortKey(s string) string { return search.Normalize(s) }

func (sn *Snapshot) index() {
	sort.SliceStable(sn.Themenfelder, func(i, j int) bool { return sortKey(sn.Themenfelder[i].Name) < sortKey(sn.Themenfelder[j].Name) })
	sort.SliceStable(sn.Lebenslagen, func(i, j int) bool { return sortKey(sn.Lebenslagen[i].Name) < sortKey(sn.Lebenslagen[j].Name) })
	sort.SliceStable(sn.OZGLeistungen, func(i, j int) bool { return sortKey(sn.OZGLeistungen[i].Name) < sortKey(sn.OZGLeistungen[j].Name) })
	sort.SliceStable(sn.Leistungen, func(i, j int) bool { return sortKey(sn.Leistungen[i].Name) < sortKey(sn.Leistungen[j].Name) })
	sn.themenfeld = map[int]int{}
	for i, t := range sn.Themenfelder {
		sn.themenfeld[t.ID] = i
	}
	sn.lebenslage = map[int]int{}
	sn.llByThemenfeld = map[int][]int{}
	for i, l := range sn.Lebenslagen {
		sn.lebenslage[l.ID] = i
		sn.llByThemenfeld[l.ThemenfeldID] = append(sn.llByThemenfeld[l.ThemenfeldID], i)
	}
	sn.ozg = map[string]int{}
	sn.ozgByLebenslage = map[int][]int{}
	for i, o := range sn.OZGLeistungen {
		sn.ozg[o.ID] = i
		sn.ozgByLebenslage[o.LebenslageID] = append(sn.ozgByLebenslage[o.LebenslageID], i)
	}
	sn.leistung = map[string]int{}
	sn.lkByOZG = map[string][]int{}
	docs := make([]search.Doc, len(sn.Leistungen))
	for i, l := range sn.Leistungen {
		sn.leistung[l.Ref] = i
		sn.lkByOZG[l.OZGID] = append(sn.lkByOZG[l.OZGID], i)
		d := search.Doc{ID: i, Text: l.Name, Extra: append(append([]string{}, l.Rechtsgrundlagen...), synonymsFor(l.LeiKa)...)}
		if l.LeiKa != "" {
			d.Codes = []string{l.LeiKa}
			// Entries with a real LeiKa key rank before the source's
			// keyless leftovers of the same name.
			d.Boost = 0.5
		}
		docs[i] = d
	}
	sn.leistungIdx = search.Build(docs)

	sn.region = map[string]int{}
	sn.children = map[string][]int{}
	rdocs := make([]search.Doc, len(sn.Regionen))
	for i, r := range sn.Regionen {
		sn.region[r.ARS] = i
		if r.ParentARS != "" {
			sn.children[r.ParentARS] = append(sn.children[r.ParentARS], i)
		}
		d := search.Doc{ID: i, Text: r.Name, Codes: []string{r.ARS}, Boost: regionBoost(r)}
		if r.AGS != "" {
			d.Codes = append(d.Codes, r.AGS)
		}
		if r.PLZ != "" {
			d.Codes = append(d.Codes, r.PLZ)
		}
		if r.Art != "" {
			d.Extra = []string{r.Art}
		}
		rdocs[i] = d
	}
	sn.regionIdx = search.Build(rdocs)
	for _, kids := range sn.children {
		sort.SliceStable(kids, func(a, b int) bool {
			return sortKey(sn.Regionen[kids[a]].Name) < sortKey(sn.Regionen[kids[b]].Name)
		})
	}
}

// regionBoost puts Gemeinden first among equally good name matches (people
// look for the place they live in), then larger places.
func regionBoost(r Region) float64 {
	b := map[Ebene]float64{Gemeinde: 3, Kreis: 2, Land: 2.5, Regierungsbezirk: 1, Gemeindeverband: 0.5}[r.Ebene]
	if r.Bevoelkerung != nil && *r.Bevoelkerung > 0 {
		b += math.Log10(float64(*r.Bevoelkerung)) / 10
	}
	return b
}

// Themenfeld returns a Themenfeld and its Lebenslagen.
func (sn *Snapshot) Themenfeld(id int) (Themenfeld, []Lebenslage, error) {
	i, ok := sn.themenfeld[id]
	if !ok {
		return Themenfeld{}, nil, errs.K(errs.NotFound, "catalog.themenfeld.not_found")
	}
	var ll []Lebenslage
	for _, j := range sn.llByThemenfeld[id] {
		ll = append(ll, sn.Lebenslagen[j])
	}
	return sn.Themenfelder[i], ll, nil
}

// OZGGruppe is an OZG-Leistung with its LeiKa-Leistungen.
type OZGGruppe struct {
	OZGLeistung
	Leistungen []Leistung
}

// Lebenslage returns a Lebenslage, its Themenfeld and its OZG-Leistungen
// with their Leistungen.
func (sn *Snapshot) Lebenslage(id int) (Lebenslage, Themenfeld, []OZGGruppe, error) {
	i, ok := sn.lebenslage[id]
	if !ok {
		return Lebenslage{}, Themenfeld{}, nil, errs.K(errs.NotFound, "catalog.lebenslage.not_found")
	}
	ll := sn.Lebenslagen[i]
	var groups []OZGGruppe
	for _, j := range sn.ozgByLebenslage[id] {
		g := OZGGruppe{OZGLeistung: sn.OZGLeistungen[j]}
		for _, k := range sn.lkByOZG[g.ID] {
			g.Leistungen = append(g.Leistungen, sn.Leistungen[k])
		}
		groups = append(groups, g)
	}
	return ll, sn.Themenfelder[sn.themenfeld[ll.ThemenfeldID]], groups, nil
}

// Leistung finds a Leistung by its ref (LeiKa key or "x…" id).
func (sn *Snapshot) Leistung(ref string) (Leistung, error) {
	i, ok := sn.leistung[ref]
	if !ok {
		return Leistung{}, errs.K(errs.NotFound, "catalog.leistung.not_found")
	}
	return sn.Leistungen[i], nil
}

// Einordnung says where a Leistung sits in the catalog.
type Einordnung struct {
	OZG        *OZGLeistung
	Lebenslage *Lebenslage
	Themenfeld *Themenfeld
}

// EinordnungOf returns the OZG-Leistung, Lebenslage and Themenfeld of l.
func (sn *Snapshot) EinordnungOf(l Leistung) Einordnung {
	var e Einordnung
	if i, ok := sn.ozg[l.OZGID]; ok {
		o := sn.OZGLeistungen[i]
		e.OZG = &o
		if j, ok := sn.lebenslage[o.LebenslageID]; ok {
			ll := sn.Lebenslagen[j]
			e.Lebenslage = &ll
			if k, ok := sn.themenfeld[ll.ThemenfeldID]; ok {
				t := sn.Themenfelder[k]
				e.Themenfeld = &t
			}
		}
	}
	return e
}

// Region finds a region by ARS.
func (sn *Snapshot) Region(ars string) (Region, error) {
	i, ok := sn.region[ars]
	if !ok {
		return Region{}, errs.K(errs.NotFound, "catalog.region.not_found")
	}
	return sn.Regionen[i], nil
}

// Ancestors returns the regions above r, nearest first.
func (sn *Snapshot) Ancestors(r Region) []Region {
	var out []Region
	for p := r.ParentARS; p != ""; {
		i, ok := sn.region[p]
		if !ok {
			break
		}
		out = append(out, sn.Regionen[i])
		p = sn.Regionen[i].ParentARS
	}
	return out
}

// Children returns the regions directly below ars, by name.
func (sn *Snapshot) Children(ars string) []Region {
	var out []Region
	for _, i := range sn.children[ars] {
		out = append(out, sn.Regionen[i])
	}
	return out
}

// CountGemeinden counts the Gemeinden whose ARS starts with prefix ("" for all).
func (sn *Snapshot) CountGemeinden(prefix string) int {
	n := 0
	for _, r := range sn.Regionen {
		if r.Ebene == Gemeinde && strings.HasPrefix(r.ARS, prefix) {
			n++
		}
	}
	return n
}

// LeistungQuery selects Leistungen.
type LeistungQuery struct {
	Q            string
	ThemenfeldID int
	LebenslageID int
	Limit        int
	Offset       int
}

// SearchLeistungen returns one page of matching Leistungen and the total.
// Without a query text the matches are listed by name.
func (sn *Snapshot) SearchLeistungen(q LeistungQuery) ([]Leistung, int) {
	keep := sn.leistungFilter(q.ThemenfeldID, q.LebenslageID)
	var ids []int
	if strings.TrimSpace(q.Q) == "" {
		for i := range sn.Leistungen {
			if keep == nil || keep(i) {
				ids = append(ids, i)
			}
		}
	} else {
		for _, h := range sn.leistungIdx.Search(q.Q, keep) {
			ids = append(ids, h.ID)
		}
	}
	return pageOf(ids, q.Limit, q.Offset, func(i int) Leistung { return sn.Leistungen[i] }), len(ids)
}

func (sn *Snapshot) leistungFilter(themenfeld, lebenslage int) func(int) bool {
	if themenfeld == 0 && lebenslage == 0 {
		return nil
	}
	return func(i int) bool {
		o, ok := sn.ozg[sn.Leistungen[i].OZGID]
		if !ok {
			return false
		}
		ll := sn.OZGLeistungen[o].LebenslageID
		if lebenslage != 0 && ll != lebenslage {
			return false
		}
		if themenfeld != 0 {
			j, ok := sn.lebenslage[ll]
			return ok && sn.Lebenslagen[j].ThemenfeldID == themenfeld
		}
		return true
	}
}

// RegionQuery selects regions.
type RegionQuery struct {
	Q      string
	Ebene  Ebene // "" for all levels
	Parent string
	Limit  int
	Offset int
}

// SearchRegionen returns one page of matching regions and the total.
// Without a query text the matches are listed by ARS.
func (sn *Snapshot) SearchRegionen(q RegionQuery) ([]Region, int) {
	var keep func(int) bool
	if q.Ebene != "" || q.Parent != "" {
		keep = func(i int) bool {
			r := sn.Regionen[i]
			return (q.Ebene == "" || r.Ebene == q.Ebene) && (q.Parent == "" || strings.HasPrefix(r.ARS, q.Parent))
		}
	}
	var ids []int
	if strings.TrimSpace(q.Q) == "" {
		for i := range sn.Regionen {
			if keep == nil || keep(i) {
				ids = append(ids, i)
			}
		}
	} else {
		for _, h := range sn.regionIdx.Search(q.Q, keep) {
			ids = append(ids, h.ID)
		}
	}
	return pageOf(ids, q.Limit, q.Offset, func(i int) Region { return sn.Regionen[i] }), len(ids)
}

func pageOf[T any](ids []int, limit, offset int, get func(int) T) []T {
	if offset >= len(ids) {
		return []T{}
	}
	ids = ids[offset:]
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	out := make([]T, len(ids))
	for i, id := range ids {
		out[i] = get(id)
	}
	return out
}

// Service serves the catalog from a snapshot that follows imports made by
// any ozgo process on the same database.
type Service struct {
	store *Store
	// Refresh is how often the data version is checked.
	Refresh time.Duration

	mu      sync.Mutex
	snap    *Snapshot
	checked time.Time
}

// NewService returns a Service on st.
func NewService(st *Store) *Service { return &Service{store: st, Refresh: 2 * time.Second} }

// Store returns the underlying store.
func (s *Service) Store() *Store { return s.store }

// Snapshot returns the current snapshot, reloading it when the data
// version changed (checked at most every Refresh).
func (s *Service) Snapshot(ctx context.Context) (*Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.snap != nil && time.Since(s.checked) < s.Refresh {
		return s.snap, nil
	}
	v, err := s.store.Version(ctx)
	if err != nil {
		if s.snap != nil {
			// Serve the data we have while the database hiccups.
			return s.snap, nil
		}
		return nil, errs.Wrap(errs.Unavailable, "catalog.Snapshot", err, "")
	}
	s.checked = time.Now()
	if s.snap != nil && s.snap.Version == v {
		return s.snap, nil
	}
	sn, err := s.store.loadSnapshot(ctx)
	if err != nil {
		if s.snap != nil {
			return s.snap, nil
		}
		return nil, errs.Wrap(errs.Unavailable, "catalog.Snapshot", err, "")
	}
	s.snap = sn
	return sn, nil
}

// Invalidate makes the next Snapshot call check the version at once.
func (s *Service) Invalidate() {
	s.mu.Lock()
	s.checked = time.Time{}
	s.mu.Unlock()
}
