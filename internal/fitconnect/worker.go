package fitconnect

import (
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/store"
)

// Job kinds.
const (
	// jobDeadline is the one deadline job of a submission: due IncompleteTTL
	// after creation (delete if still incomplete), moved at submit to
	// NotifyAfter (notify-submission if not picked up), then to RejectAfter
	// (reject-submission). attempts counts the stage: 0 before the notify
	// event, 1 after it.
	jobDeadline            = "deadline"
	jobCallbackDestination = "callback:destination"
	jobCallbackSender      = "callback:sender"
)

// jobLease is how long a claimed job is reserved for its worker; a worker
// that dies leaves the job to others after this.
const jobLease = 2 * time.Minute

// Backoff of failing callbacks: exponential from backoffMin, capped.
const (
	backoffMin = 5 * time.Second
	backoffMax = 30 * time.Minute
)

func (s *Service) addJob(ctx context.Context, tx *store.Tx, kind, ref string, runAt, giveUpAt time.Time) error {
	_, err := s.exec(ctx, tx, `INSERT INTO fc_jobs (kind, ref, run_at, give_up_at, attempts, locked_until, created_at) VALUES (?, ?, ?, ?, 0, '', ?)`,
		kind, ref, formatTime(runAt), formatTime(giveUpAt), formatTime(s.now()))
	return err
}

type job struct {
	id       int64
	kind     string
	ref      string
	giveUpAt time.Time
	attempts int
}

// claim leases up to n due jobs. On PostgreSQL the rows are locked with
// SKIP LOCKED so parallel workers take different jobs; on SQLite the
// transaction holds the single write lock.
func (s *Service) claim(ctx context.Context, n int) ([]job, error) {
	var out []job
	now := s.now()
	// A read first: an idle worker should not take the write lock every
	// second.
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM fc_jobs WHERE run_at <= ? AND locked_until <= ? LIMIT 1`, formatTime(now), formatTime(now)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	err = s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		q := `SELECT id, kind, ref, give_up_at, attempts FROM fc_jobs WHERE run_at <= ? AND locked_until <= ? ORDER BY run_at, id LIMIT ?`
		if tx.Engine() == store.Postgres {
			q += ` FOR UPDATE SKIP LOCKED`
		}
		rows, err := s.query(ctx, tx, q, formatTime(now), formatTime(now), n)
		if err != nil {
			return err
		}
		for rows.Next() {
			var j job
			var g string
			if err := rows.Scan(&j.id, &j.kind, &j.ref, &g, &j.attempts); err != nil {
				rows.Close()
				return err
			}
			j.giveUpAt = parseTime(g)
			out = append(out, j)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, j := range out {
			if _, err := s.exec(ctx, tx, `UPDATE fc_jobs SET locked_until = ? WHERE id = ?`, formatTime(now.Add(jobLease)), j.id); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

func (s *Service) finishJob(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM fc_jobs WHERE id = ?`, id)
	return err
}

// retryJob schedules the next attempt with exponential backoff and full
// jitter, so many failing callbacks do not retry in lockstep.
func (s *Service) retryJob(ctx context.Context, j job) error {
	d := backoffMin << min(j.attempts, 20)
	if d > backoffMax || d <= 0 {
		d = backoffMax
	}
	d = d/2 + rand.N(d/2+1)
	_, err := s.db.ExecContext(ctx, `UPDATE fc_jobs SET run_at = ?, attempts = ?, locked_until = '' WHERE id = ?`,
		formatTime(s.now().Add(d)), j.attempts+1, j.id)
	return err
}

// RunOnce claims and runs the due jobs once. It
// returns how many jobs ran. Run calls it in a loop; tests call it directly.
func (s *Service) RunOnce(ctx context.Context) (int, error) {
	jobs, err := s.claim(ctx, 50)
	if err != nil {
		return 0, err
	}
	for _, j := range jobs {
		if err := s.runJob(ctx, j); err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			s.log.Error("fitconnect: background job failed", "kind", j.kind, "job", j.id, "err", err)
			_ = s.retryJob(ctx, j)
		}
	}
	return len(jobs), nil
}

// Run is the background worker: callbacks with retries, the deadlines of
// the status machine. (SETs are signed when first read, not here: signing
// ahead would cost a core at high submission rates.) Every ozgo process may run it;
// the jobs live in the database. It returns when ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		n, err := s.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("fitconnect: worker", "err", err)
		}
		if n > 0 && err == nil {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) runJob(ctx context.Context, j job) error {
	switch j.kind {
	case jobCallbackDestination, jobCallbackSender:
		return s.runCallback(ctx, j)
	case jobDeadline:
		return s.deadline(ctx, j)
	}
	s.log.Error("fitconnect: unknown job kind dropped", "kind", j.kind, "job", j.id)
	return s.finishJob(ctx, j.id)
}

// CallbackMAC is the Callback-Authentication value: hex HMAC-SHA512 of
// timestamp + "." + body with the callback secret.
func CallbackMAC(secret, timestamp string, body []byte) string {
	m := hmac.New(sha512.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Service) runCallback(ctx context.Context, j job) error {
	var subID, caseID, destID, sCB string
	var sSecret []byte
	err := s.db.QueryRowContext(ctx, `SELECT id, case_id, destination_id, callback_url, callback_secret FROM fc_submissions WHERE id = ?`, j.ref).
		Scan(&subID, &caseID, &destID, &sCB, &sSecret)
	if errors.Is(err, sql.ErrNoRows) {
		return s.finishJob(ctx, j.id)
	}
	if err != nil {
		return err
	}
	var url, secret, typ string
	if j.kind == jobCallbackDestination {
		d, err := s.loadDestination(ctx, s.db, destID)
		if err != nil {
			return s.finishJob(ctx, j.id)
		}
		sec, err := s.openCallbackSecret(d.ID, d.sealedCallback)
		if err != nil {
			return err
		}
		url, secret, typ = d.CallbackURL, sec, CallbackNewSubmissions
	} else {
		sec, err := s.keys.Open(sSecret, []byte("fitconnect-callback:"+subID))
		if err != nil {
			return err
		}
		url, secret, typ = sCB, string(sec), CallbackNewEvents
	}
	if url == "" {
		return s.finishJob(ctx, j.id)
	}
	item := Created{DestinationID: destID, SubmissionID: subID, CaseID: caseID}
	body, _ := json.Marshal(map[string]any{"type": typ, "submissionIds": []string{subID}, "submissions": []Created{item}})
	if s.opt.Callbacks == nil {
		return s.retryJob(ctx, j)
	}
	ts := strconv.FormatInt(s.now().Unix(), 10)
	hdr := map[string]string{
		"Content-Type":            "application/json",
		"Callback-Authentication": CallbackMAC(secret, ts, body),
		"Callback-Timestamp":      ts,
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	err = s.opt.Callbacks.PostCallback(cctx, url, hdr, body)
	cancel()
	if err == nil {
		s.delivered.Inc()
		return s.finishJob(ctx, j.id)
	}
	if !s.now().Before(j.giveUpAt) {
		s.givenUp.Inc()
		// Operator alert. The URL's host is configuration, not personal data.
		s.log.Error("fitconnect: callback given up", "kind", j.kind, "submission", subID, "destination", destID,
			"attempts", j.attempts+1, "err", err.Error())
		return s.finishJob(ctx, j.id)
	}
	s.failed.Inc()
	s.log.Warn("fitconnect: callback failed, will retry", "kind", j.kind, "submission", subID, "attempt", j.attempts+1, "err", err.Error())
	return s.retryJob(ctx, j)
}

// expireIncomplete deletes a submission that was never submitted, with its
// attachments, and records delete-submission.
func (s *Service) expireIncomplete(ctx context.Context, j job) error {
	var blobs []string
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var status, caseID, destID string
		err := s.queryRow(ctx, tx, `SELECT status, case_id, destination_id FROM fc_submissions WHERE id = ?`, j.ref).Scan(&status, &caseID, &destID)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && SubmissionStatus(status) != StatusIncomplete) {
			_, err := s.exec(ctx, tx, `DELETE FROM fc_jobs WHERE id = ?`, j.id)
			return err
		}
		if err != nil {
			return err
		}
		rows, err := s.query(ctx, tx, `SELECT blob_id FROM fc_attachments WHERE submission_id = ? AND blob_id <> ''`, j.ref)
		if err != nil {
			return err
		}
		for rows.Next() {
			var b string
			if err := rows.Scan(&b); err != nil {
				rows.Close()
				return err
			}
			blobs = append(blobs, b)
		}
		rows.Close()
		for _, q := range []string{`DELETE FROM fc_attachments WHERE submission_id = ?`} {
			if _, err := s.exec(ctx, tx, q, j.ref); err != nil {
				return err
			}
		}
		if _, err := s.exec(ctx, tx, `UPDATE fc_submissions SET status = ?, updated_at = ? WHERE id = ?`, string(StatusDeleted), formatTime(s.now()), j.ref); err != nil {
			return err
		}
		if err := s.addEvent(ctx, tx, caseID, j.ref, EventDeleteSubmission, nil); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM fc_jobs WHERE id = ?`, j.id); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Actor: audit.System, Action: "fitconnect.submission.deleted",
			ObjectType: "fitconnect_submission", ObjectID: j.ref, Details: map[string]string{"destination": destID, "reason": "incomplete"}})
		return err
	})
	if err != nil {
		return err
	}
	for _, b := range blobs {
		_ = s.blobs.Delete(ctx, b)
	}
	return nil
}

// deadline runs the deadline job of a submission: an incomplete one is
// deleted; one not picked up gets, after NotifyAfter, a
// notify-submission event (and an operator warning), after RejectAfter a
// reject-submission event from the Zustelldienst.
func (s *Service) deadline(ctx context.Context, j job) error {
	var status string
	if err := s.db.QueryRowContext(ctx, `SELECT status FROM fc_submissions WHERE id = ?`, j.ref).Scan(&status); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if SubmissionStatus(status) == StatusIncomplete {
		return s.expireIncomplete(ctx, j)
	}
	return s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var status, caseID, destID, cbURL, submitted string
		err := s.queryRow(ctx, tx, `SELECT status, case_id, destination_id, callback_url, submitted_at FROM fc_submissions WHERE id = ?`, j.ref).
			Scan(&status, &caseID, &destID, &cbURL, &submitted)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && SubmissionStatus(status) != StatusSubmitted && SubmissionStatus(status) != StatusForwarded) {
			_, err := s.exec(ctx, tx, `DELETE FROM fc_jobs WHERE id = ?`, j.id)
			return err
		}
		if err != nil {
			return err
		}
		if j.attempts == 0 {
			s.log.Warn("fitconnect: submission not picked up", "submission", j.ref, "destination", destID)
			next := parseTime(submitted).Add(s.opt.RejectAfter)
			if _, err := s.exec(ctx, tx, `UPDATE fc_jobs SET run_at = ?, give_up_at = ?, attempts = 1, locked_until = '' WHERE id = ?`,
				formatTime(next), formatTime(next), j.id); err != nil {
				return err
			}
			return s.addEvent(ctx, tx, caseID, j.ref, EventNotifySubmission, map[string]any{})
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM fc_jobs WHERE id = ?`, j.id); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `UPDATE fc_submissions SET status = ?, updated_at = ? WHERE id = ?`, string(StatusRejected), formatTime(s.now()), j.ref); err != nil {
			return err
		}
		problem := map[string]any{"problems": []map[string]string{{
			"type":   "urn:ozgo:fitconnect:problem:not-picked-up",
			"title":  "Einreichung nicht abgeholt",
			"detail": "Die Einreichung wurde nicht innerhalb der Frist vom Zustellpunkt abgeholt und deshalb vom Zustelldienst abgewiesen.",
		}}}
		if err := s.addEvent(ctx, tx, caseID, j.ref, EventRejectSubmission, problem); err != nil {
			return err
		}
		if cbURL != "" {
			now := s.now()
			if err := s.addJob(ctx, tx, jobCallbackSender, j.ref, now, now.Add(s.opt.CallbackGiveUp)); err != nil {
				return err
			}
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Actor: audit.System, Action: "fitconnect.submission.rejected",
			ObjectType: "fitconnect_submission", ObjectID: j.ref, Details: map[string]string{"destination": destID, "reason": "not-picked-up"}})
		return err
	})
}
