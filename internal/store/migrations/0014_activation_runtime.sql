-- Activations take effect in the form runtime (issue 9 follow-up).
--
-- Routing, login level and contact of an application come from the live
-- activation of (online service, Gemeinde); fees and payment from the
-- payment settings (payment_fees, payment_endpoints of 0011). So:
--
--   * activations.fee_cents and activations.payment_endpoint are no longer
--     read; inserts write 0 and ''. They stay because SQLite can drop a
--     column only by rebuilding the table, and both engines must run the
--     same migrations.
--   * service_versions.evidence_upload is no longer read either: the
--     Reifegrad criterion "all evidence can be uploaded" is computed from
--     the form (form.Model.Evidence), not declared by a checkbox.
--   * drafts already record their form version (form_drafts.form_id,
--     form_version of 0004); the runtime now loads a draft's model by it.
--
-- A tenant's logo is uploaded to ozgo (PNG or JPEG, checked and decoded)
-- and served from /mandanten/{id}/logo, so the pages' CSP can keep
-- img-src 'self'. logo_blob is the blob id ("" without a logo), logo_type
-- its media type, logo_updated the time it was stored (for caching).
ALTER TABLE tenant_profiles ADD COLUMN logo_blob TEXT NOT NULL DEFAULT '';
ALTER TABLE tenant_profiles ADD COLUMN logo_type TEXT NOT NULL DEFAULT '';
ALTER TABLE tenant_profiles ADD COLUMN logo_updated TEXT NOT NULL DEFAULT '';
