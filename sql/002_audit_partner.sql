-- Record atr-partner-id (when sent) with each audited change.
ALTER TABLE audit_events ADD COLUMN partner_id VARCHAR(36) NULL AFTER request_id;
