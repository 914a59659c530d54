package form

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ozgo/ozgo/internal/errs"
)

// OpenSubmission returns a submission by id without the applicant's
// secret, for callers that have authorized the reader themselves (the
// clerk workspace, for staff of the submission's tenant).
func (d *Drafts) OpenSubmission(ctx context.Context, id string) (*Submission, error) {
	s := &Submission{ID: id}
	var sealedData, sealedAtt []byte
	var at string
	err := d.db.QueryRowContext(ctx, `SELECT reference, token_hash, owner, service, form_id, form_version, schema_id, data, attachments, submitted_at
		FROM submissions WHERE id = ?`, id).Scan(&s.Reference, &s.tokenHash, &s.Owner, &s.Service, &s.FormID, &s.Version, &s.SchemaID, &sealedData, &sealedAtt, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.K(errs.NotFound, "form.submission.not_found")
	}
	if err != nil {
		return nil, fmt.Errorf("form: open submission: %w", err)
	}
	s.Submitted = parseStoredTime(at)
	if s.Data, err = d.keys.Open(sealedData, submissionAD(id)); err != nil {
		return nil, fmt.Errorf("form: open submission %s: %w", id, err)
	}
	att, err := d.keys.Open(sealedAtt, append(submissionAD(id), " attachments"...))
	if err != nil {
		return nil, fmt.Errorf("form: open submission %s: %w", id, err)
	}
	if err := json.Unmarshal(att, &s.Attachments); err != nil {
		return nil, err
	}
	return s, nil
}
