-- Usage per map token and the in-use renewal query (REFRESH_AHEAD=in-use).
-- last_read_at / read_count: when the token was last read and how many token reads it has had, added in
-- batches by every instance. last_used_at: the later of the last read and the last admin write; the
-- scheduler asks for `last_used_at >= now - idle window AND renew_at <= now`, one range on
-- map_tokens_in_use that holds only the tokens in use, however many idle ones are stored.
ALTER TABLE map_tokens
  ADD COLUMN last_read_at BIGINT NULL,
  ADD COLUMN read_count   BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN last_used_at BIGINT NOT NULL DEFAULT 0,
  ADD KEY map_tokens_in_use (last_used_at, renew_at);

-- Rows stored before this migration count as used now: tokens that were read before the upgrade stay
-- renewed ahead for one idle window, and those nobody reads drop out after it.
UPDATE map_tokens SET last_used_at = GREATEST(updated_at, UNIX_TIMESTAMP() * 1000);
