-- Refresh ahead: when each token is next due for renewal (one indexed query per scheduler tick finds
-- what is due), why its last renewal failed (shared by every instance), and when a client's
-- rejected-token report last forced a renewal (at most one per map token per 30 s).
ALTER TABLE map_tokens
  ADD COLUMN renew_at              BIGINT        NULL,
  ADD COLUMN refresh_failures      INT           NOT NULL DEFAULT 0,
  ADD COLUMN refresh_error_at      BIGINT        NULL,
  ADD COLUMN refresh_error_kind    VARCHAR(16)   NULL,
  ADD COLUMN refresh_error_message VARCHAR(1024) NULL,
  ADD COLUMN forced_renewal_at     BIGINT        NULL,
  ADD KEY map_tokens_renew_at (renew_at),
  ADD KEY map_tokens_refresh_error (refresh_error_at);

-- Rows written before this migration: due at their refresh point, 2 x min(5 minutes, 20% of the lifetime)
-- before expiry (the same rule as the service's token-timing), or at once when they hold no dated token.
UPDATE map_tokens
   SET renew_at = IF(token_expires_at IS NULL OR token_issued_at IS NULL, 0,
                     token_expires_at - 2 * LEAST(300000, FLOOR((token_expires_at - token_issued_at) / 5)))
 WHERE auth_type <> 'static';
