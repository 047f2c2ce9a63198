-- Reader keys live in browsers: a key (or a client, for its access tokens) may be bound to origins
-- (a JSON array of "scheme://host[:port]", at most 50 of at most 2048 characters: MEDIUMTEXT holds them
-- all) and limited to rate_limit token reads a minute on each instance (NULL: neither). last_used_at is
-- when a key was last accepted, written in the background at most once a minute per instance.
ALTER TABLE api_keys
  ADD COLUMN allowed_origins MEDIUMTEXT NULL,
  ADD COLUMN rate_limit      INT        NULL,
  ADD COLUMN last_used_at    BIGINT     NULL;
ALTER TABLE clients
  ADD COLUMN allowed_origins MEDIUMTEXT NULL,
  ADD COLUMN rate_limit      INT        NULL;
