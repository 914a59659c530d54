package tenant

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
)

// Feedback is one rating of an online service (NFK-like).
type Feedback struct {
	ID          int64
	Slug        string
	GemeindeARS string
	TenantID    string
	Stars       int
	Comment     string
	Created     time.Time
}

// MaxComment bounds the free text of a rating, in characters.
const MaxComment = 2000

// The feedback form token must be at least minFormAge old (people read
// before they rate; bots post at once) and at most maxFormAge.
const (
	minFormAge = 2 * time.Second
	maxFormAge = 6 * time.Hour
)

func (s *Service) feedbackMAC(slug string, at int64) string {
	m := hmac.New(sha256.New, s.FeedbackKey)
	fmt.Fprintf(m, "feedback|%s|%d", slug, at)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// FeedbackToken returns the signed, time-stamped token of a feedback form
// for slug. It proves the form came from ozgo and when, without storing
// anything about the visitor.
func (s *Service) FeedbackToken(slug string) string {
	at := s.now().Unix()
	return strconv.FormatInt(at, 10) + "." + s.feedbackMAC(slug, at)
}

// CheckFeedbackToken verifies a token: signed for slug, not too fresh and
// not too old.
func (s *Service) CheckFeedbackToken(slug, tok string) error {
	ts, mac, ok := strings.Cut(tok, ".")
	at, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil || !hmac.Equal([]byte(mac), []byte(s.feedbackMAC(slug, at))) {
		return errs.K(errs.Invalid, "feedback.error.token")
	}
	age := s.now().Sub(time.Unix(at, 0))
	if age < minFormAge {
		return errs.K(errs.Invalid, "feedback.error.too_fast")
	}
	if age > maxFormAge {
		return errs.K(errs.Invalid, "feedback.error.expired")
	}
	return nil
}

// AddFeedback stores a rating. ars may be "" when the Gemeinde is unknown.
func (s *Service) AddFeedback(ctx context.Context, f Feedback) error {
	if f.Stars < 1 || f.Stars > 5 {
		return errs.FieldError("sterne", "feedback.error.stars")
	}
	f.Comment = strings.TrimSpace(f.Comment)
	if utf8.RuneCountInString(f.Comment) > MaxComment || !utf8.ValidString(f.Comment) {
		return errs.FieldError("kommentar", "feedback.error.comment", MaxComment)
	}
	if f.GemeindeARS != "" {
		if a, err := s.Activation(ctx, f.Slug, f.GemeindeARS); err == nil {
			f.TenantID = a.TenantID
		}
	}
	_, err := s.DB.ExecContext(ctx, `INSERT INTO feedback (slug, gemeinde_ars, tenant_id, stars, comment, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		f.Slug, f.GemeindeARS, f.TenantID, f.Stars, f.Comment, fmtTime(s.now()))
	if err != nil {
		return fmt.Errorf("tenant: feedback: %w", err)
	}
	return nil
}

// FeedbackSummary is the aggregate of the ratings of one service for one
// tenant.
type FeedbackSummary struct {
	Slug     string
	Count    int
	Stars    [6]int // Stars[n]: ratings with n stars
	AvgTenth int    // average in tenths of a star
	Comments []Feedback
}

// TenantFeedback aggregates the ratings of the tenant's services; the
// free text is included, since only the service's admins may read it.
func (s *Service) TenantFeedback(ctx context.Context, actor *identity.Actor, tenantID string) ([]FeedbackSummary, error) {
	if err := s.authorizeManage(actor, tenantID); err != nil {
		return nil, err
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT id, slug, gemeinde_ars, stars, comment, created_at FROM feedback WHERE tenant_id = ? ORDER BY slug, id DESC`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("tenant: feedback: %w", err)
	}
	defer rows.Close()
	var out []FeedbackSummary
	sum := 0
	for rows.Next() {
		var f Feedback
		var created string
		if err := rows.Scan(&f.ID, &f.Slug, &f.GemeindeARS, &f.Stars, &f.Comment, &created); err != nil {
			return nil, err
		}
		f.Created, f.TenantID = parseTime(created), tenantID
		if len(out) == 0 || out[len(out)-1].Slug != f.Slug {
			out = append(out, FeedbackSummary{Slug: f.Slug})
			sum = 0
		}
		fs := &out[len(out)-1]
		fs.Count++
		if f.Stars >= 1 && f.Stars <= 5 {
			fs.Stars[f.Stars]++
		}
		sum += f.Stars
		fs.AvgTenth = (sum*10 + fs.Count/2) / fs.Count
		if f.Comment != "" && len(fs.Comments) < 50 {
			fs.Comments = append(fs.Comments, f)
		}
	}
	return out, rows.Err()
}
