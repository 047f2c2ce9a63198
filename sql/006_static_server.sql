-- static items may name the ArcGIS REST root their token is for (answered as the token read's `server`, so that
-- registerToken() works for them too). NULL for agol and enterprise items, whose server is derived from auth_url.
ALTER TABLE map_tokens
  ADD COLUMN server_url VARCHAR(2048) NULL AFTER auth_referer;
