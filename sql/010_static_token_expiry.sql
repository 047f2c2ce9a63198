-- Static tokens that expire soon: the list filter expiring=true and the gauge mtp_static_tokens_expiring
-- (counted over every environment at each scrape) find them on an index instead of reading every row.
ALTER TABLE map_tokens
  ADD KEY map_tokens_static_expiry (auth_type, token_expires_at);
