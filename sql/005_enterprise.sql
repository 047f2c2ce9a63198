-- enterprise items: a named user of an ArcGIS Enterprise portal or a standalone ArcGIS Server
-- (generateToken). auth_key holds the user name, auth_secret_enc the sealed password, auth_referer the
-- referer the token is bound to (NULL: client=requestip). auth_type now names its three values.
ALTER TABLE map_tokens
  ADD COLUMN auth_referer VARCHAR(2048) NULL AFTER auth_url,
  ADD CONSTRAINT map_tokens_auth_type CHECK (auth_type IN ('agol', 'enterprise', 'static'));
