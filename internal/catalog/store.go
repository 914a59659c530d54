package catalog

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/store"
)

// Store is the catalog's SQL, for both engines.
type Store struct {
	db *store.DB
}

// NewStore returns the catalog store on db.
func NewStore(db *store.DB) *Store { return &Store{db: db} }

// versionKey is the platform setting that changes with every import that
// changed something, so every ozgo process can refresh its search index.
const versionKey = "catalog.version"

// ImportStats counts what an import changed, per table.
type ImportStats struct {
	Tables []TableStats
}

// TableStats counts the changes to one table.
type TableStats struct {
	Name                           string
	Total, Added, Changed, Removed int
}

// Changed reports whether the import changed anything.
func (s ImportStats) Changed() bool {
	for _, t := range s.Tables {
		if t.Added+t.Changed+t.Removed > 0 {
			return true
		}
	}
	return false
}

// Progress is told how many of total records are done.
type Progress func(done, total int)

// table describes one imported table for the generic diff-and-apply.
type table[T any] struct {
	name    string
	cols    []string // first column is the primary key
	key     func(T) string
	values  func(T) []any
	scanRow func(*sql.Rows) (T, error)
}

// syncRows makes the rows of t selected by where (all rows when where is
// "") match rows: it inserts what is new and updates what differs, and
// leaves unchanged rows untouched, so a second import of the same file
// writes nothing. It returns the keys of selected rows that rows no longer
// hold; the caller deletes them in the order its foreign keys need.
func syncRows[T any](ctx context.Context, tx *store.Tx, t table[T], where string, args []any, rows []T, progress func(int)) (TableStats, []string, error) {
	st := TableStats{Name: t.name, Total: len(rows)}
	q := `SELECT ` + strings.Join(t.cols, ", ") + ` FROM ` + t.name
	if where != "" {
		q += ` WHERE ` + where
	}
	res, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return st, nil, fmt.Errorf("read %s: %w", t.name, err)
	}
	existing := map[string]T{}
	for res.Next() {
		v, err := t.scanRow(res)
		if err != nil {
			res.Close()
			return st, nil, fmt.Errorf("read %s: %w", t.name, err)
		}
		existing[t.key(v)] = v
	}
	res.Close()
	if err := res.Err(); err != nil {
		return st, nil, fmt.Errorf("read %s: %w", t.name, err)
	}
	set := make([]string, 0, len(t.cols)-1)
	for _, c := range t.cols[1:] {
		set = append(set, c+" = ?")
	}
	update := `UPDATE ` + t.name + ` SET ` + strings.Join(set, ", ") + ` WHERE ` + t.cols[0] + ` = ?`
	var inserts [][]any
	for i, r := range rows {
		k := t.key(r)
		old, ok := existing[k]
		delete(existing, k)
		switch {
		case !ok:
			inserts = append(inserts, t.values(r))
			st.Added++
		case !reflect.DeepEqual(normalizeRow(t.values(old)), normalizeRow(t.values(r))):
			vals := t.values(r)
			if _, err := tx.ExecContext(ctx, update, append(vals[1:], vals[0])...); err != nil {
				return st, nil, fmt.Errorf("update %s %s: %w", t.name, k, err)
			}
			st.Changed++
		}
		if progress != nil && (i%500 == 0 || i == len(rows)-1) {
			progress(i + 1)
		}
	}
	if err := insertBatches(ctx, tx, t.name, t.cols, inserts); err != nil {
		return st, nil, err
	}
	gone := make([]string, 0, len(existing))
	for k := range existing {
		gone = append(gone, k)
	}
	sort.Strings(gone)
	st.Removed = len(gone)
	return st, gone, nil
}

// deleteKeys deletes the rows of a table by primary key, in batches.
func deleteKeys(ctx context.Context, tx *store.Tx, name, keyCol string, keys []string) error {
	for len(keys) > 0 {
		n := min(len(keys), 500)
		args := make([]any, n)
		for i, k := range keys[:n] {
			args[i] = k
		}
		ph := strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+name+` WHERE `+keyCol+` IN (`+ph+`)`, args...); err != nil {
			return fmt.Errorf("remove from %s: %w", name, err)
		}
		keys = keys[n:]
	}
	return nil
}

// normalizeRow makes values read back from either engine comparable with
// the values about to be written (engines return int64 for integers,
// pointers are dereferenced).
func normalizeRow(vals []any) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		switch x := v.(type) {
		case int:
			out[i] = int64(x)
		case *int64:
			if x == nil {
				out[i] = nil
			} else {
				out[i] = *x
			}
		case *float64:
			if x == nil {
				out[i] = nil
			} else {
				out[i] = *x
			}
		case sql.NullString:
			if x.Valid {
				out[i] = x.String
			} else {
				out[i] = nil
			}
		default:
			out[i] = v
		}
	}
	return out
}

func insertBatches(ctx context.Context, tx *store.Tx, name string, cols []string, rows [][]any) error {
	const batch = 400
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for len(rows) > 0 {
		n := min(len(rows), batch)
		args := make([]any, 0, n*len(cols))
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		q := `INSERT INTO ` + name + ` (` + strings.Join(cols, ", ") + `) VALUES ` + strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("insert into %s: %w", name, err)
		}
		rows = rows[n:]
	}
	return nil
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(i int) any {
	if i == 0 {
		return nil
	}
	return int64(i)
}

var (
	themenfeldTable = table[Themenfeld]{
		name: "themenfelder", cols: []string{"id", "name"},
		key:    func(t Themenfeld) string { return fmt.Sprint(t.ID) },
		values: func(t Themenfeld) []any { return []any{int64(t.ID), t.Name} },
		scanRow: func(r *sql.Rows) (t Themenfeld, err error) {
			err = r.Scan(&t.ID, &t.Name)
			return
		},
	}
	lebenslageTable = table[Lebenslage]{
		name: "lebenslagen", cols: []string{"id", "themenfeld_id", "name"},
		key:    func(t Lebenslage) string { return fmt.Sprint(t.ID) },
		values: func(t Lebenslage) []any { return []any{int64(t.ID), int64(t.ThemenfeldID), t.Name} },
		scanRow: func(r *sql.Rows) (t Lebenslage, err error) {
			err = r.Scan(&t.ID, &t.ThemenfeldID, &t.Name)
			return
		},
	}
	ozgTable = table[OZGLeistung]{
		name: "ozg_leistungen", cols: []string{"id", "name", "lebenslage_id"},
		key:    func(t OZGLeistung) string { return t.ID },
		values: func(t OZGLeistung) []any { return []any{t.ID, t.Name, nullInt(t.LebenslageID)} },
		scanRow: func(r *sql.Rows) (t OZGLeistung, err error) {
			var ll sql.NullInt64
			err = r.Scan(&t.ID, &t.Name, &ll)
			t.LebenslageID = int(ll.Int64)
			return
		},
	}
	leistungTable = table[Leistung]{
		name: "leistungen", cols: []string{"ref", "leika", "name", "typisierung", "ozg_id", "rechtsgrundlagen"},
		key: func(t Leistung) string { return t.Ref },
		values: func(t Leistung) []any {
			return []any{t.Ref, nullStr(t.LeiKa), t.Name, t.Typisierung, nullStr(t.OZGID), strings.Join(t.Rechtsgrundlagen, ", ")}
		},
		scanRow: func(r *sql.Rows) (Leistung, error) { return scanLeistung(r) },
	}
	regionTable = table[Region]{
		name: "regionen", cols: []string{"ars", "ags", "name", "ebene", "art", "parent_ars", "flaeche_km2", "bevoelkerung", "plz", "laengengrad", "breitengrad"},
		key: func(t Region) string { return t.ARS },
		values: func(t Region) []any {
			return []any{t.ARS, t.AGS, t.Name, string(t.Ebene), t.Art, nullStr(t.ParentARS), t.FlaecheKM2, t.Bevoelkerung, t.PLZ, t.Laengengrad, t.Breitengrad}
		},
		scanRow: func(r *sql.Rows) (Region, error) { return scanRegion(r) },
	}
)

// leistungCols and regionCols are the SELECT lists matching scanLeistung
// and scanRegion.
const (
	leistungCols = "ref, leika, name, typisierung, ozg_id, rechtsgrundlagen"
	regionCols   = "ars, ags, name, ebene, art, parent_ars, flaeche_km2, bevoelkerung, plz, laengengrad, breitengrad"
)

type scanner interface{ Scan(...any) error }

func scanLeistung(r scanner) (Leistung, error) {
	var l Leistung
	var leika, ozg sql.NullString
	var rg string
	err := r.Scan(&l.Ref, &leika, &l.Name, &l.Typisierung, &ozg, &rg)
	l.LeiKa, l.OZGID = leika.String, ozg.String
	if rg != "" {
		l.Rechtsgrundlagen = strings.Split(rg, ", ")
	}
	return l, err
}

func scanRegion(r scanner) (Region, error) {
	var g Region
	var parent sql.NullString
	var ebene string
	var fl, lon, lat sql.NullFloat64
	var pop sql.NullInt64
	err := r.Scan(&g.ARS, &g.AGS, &g.Name, &ebene, &g.Art, &parent, &fl, &pop, &g.PLZ, &lon, &lat)
	g.Ebene, g.ParentARS = Ebene(ebene), parent.String
	if fl.Valid {
		g.FlaecheKM2 = &fl.Float64
	}
	if pop.Valid {
		g.Bevoelkerung = &pop.Int64
	}
	if lon.Valid {
		g.Laengengrad = &lon.Float64
	}
	if lat.Valid {
		g.Breitengrad = &lat.Float64
	}
	return g, err
}

// ImportCatalog replaces the catalog with d in one transaction.
func (s *Store) ImportCatalog(ctx context.Context, d *CatalogData, progress Progress) (ImportStats, error) {
	var stats ImportStats
	total := len(d.Themenfelder) + len(d.Lebenslagen) + len(d.OZGLeistungen) + len(d.Leistungen)
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		stats = ImportStats{}
		done := 0
		step := func(n int) func(int) {
			base := done
			done += n
			return func(i int) {
				if progress != nil {
					progress(base+i, total)
				}
			}
		}
		// Parents are written before children; what is gone is deleted
		// afterwards, children before parents, so foreign keys hold.
		var deletes []func() error
		record := func(st TableStats, gone []string, err error, name, key string) error {
			if err != nil {
				return err
			}
			stats.Tables = append(stats.Tables, st)
			deletes = append(deletes, func() error { return deleteKeys(ctx, tx, name, key, gone) })
			return nil
		}
		st, gone, err := syncRows(ctx, tx, themenfeldTable, "", nil, d.Themenfelder, step(len(d.Themenfelder)))
		if err := record(st, gone, err, themenfeldTable.name, themenfeldTable.cols[0]); err != nil {
			return err
		}
		st, gone, err = syncRows(ctx, tx, lebenslageTable, "", nil, d.Lebenslagen, step(len(d.Lebenslagen)))
		if err := record(st, gone, err, lebenslageTable.name, lebenslageTable.cols[0]); err != nil {
			return err
		}
		st, gone, err = syncRows(ctx, tx, ozgTable, "", nil, d.OZGLeistungen, step(len(d.OZGLeistungen)))
		if err := record(st, gone, err, ozgTable.name, ozgTable.cols[0]); err != nil {
			return err
		}
		st, gone, err = syncRows(ctx, tx, leistungTable, "", nil, d.Leistungen, step(len(d.Leistungen)))
		if err := record(st, gone, err, leistungTable.name, leistungTable.cols[0]); err != nil {
			return err
		}
		for i := len(deletes) - 1; i >= 0; i-- {
			if err := deletes[i](); err != nil {
				return err
			}
		}
		if stats.Changed() {
			return bumpVersion(ctx, tx)
		}
		return nil
	})
	return stats, err
}

// ImportRegions replaces the regions with rs in one transaction. Regions
// still referenced by authorities cannot be removed.
func (s *Store) ImportRegions(ctx context.Context, rs []Region, progress Progress) (ImportStats, error) {
	var stats ImportStats
	// Parents before children, so foreign keys hold during inserts.
	level := map[Ebene]int{}
	for i, e := range Ebenen {
		level[e] = i
	}
	byLevel := make([][]Region, len(Ebenen))
	for _, r := range rs {
		byLevel[level[r.Ebene]] = append(byLevel[level[r.Ebene]], r)
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		stats = ImportStats{}
		st := TableStats{Name: "regionen", Total: len(rs)}
		goneByLevel := make([][]string, len(Ebenen))
		done := 0
		for i, part := range byLevel {
			base := done
			t, gone, err := syncRows(ctx, tx, regionTable, "ebene = ?", []any{string(Ebenen[i])}, part, func(j int) {
				if progress != nil {
					progress(base+j, len(rs))
				}
			})
			if err != nil {
				return err
			}
			done += len(part)
			st.Added += t.Added
			st.Changed += t.Changed
			st.Removed += t.Removed
			goneByLevel[i] = gone
		}
		// Regions in the database but not in the file, deepest level first.
		for i := len(goneByLevel) - 1; i >= 0; i-- {
			for _, ars := range goneByLevel[i] {
				// Check first: PostgreSQL aborts the transaction on a failed
				// statement, so the reason could not be asked afterwards.
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM behoerden WHERE region_ars = ?`, ars).Scan(&n); err != nil {
					return fmt.Errorf("remove region %s: %w", ars, err)
				}
				if n > 0 {
					return errs.K(errs.Conflict, "catalog.import.region_in_use", ars, n)
				}
			}
			if err := deleteKeys(ctx, tx, "regionen", "ars", goneByLevel[i]); err != nil {
				return err
			}
		}
		stats.Tables = []TableStats{st}
		if stats.Changed() {
			return bumpVersion(ctx, tx)
		}
		return nil
	})
	return stats, err
}

func bumpVersion(ctx context.Context, tx *store.Tx) error {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	if _, err := tx.ExecContext(ctx, `DELETE FROM platform_settings WHERE key = ?`, versionKey); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO platform_settings (key, value, updated_at) VALUES (?, ?, ?)`, versionKey, hex.EncodeToString(b), now)
	return err
}

// Version returns the catalog data version ("" before the first import).
func (s *Store) Version(ctx context.Context) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM platform_settings WHERE key = ?`, versionKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}
