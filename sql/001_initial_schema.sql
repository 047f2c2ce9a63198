-- map-token-proxy: initial schema. Times are epoch milliseconds (BIGINT) so that no session time zone
-- can shift them. Secrets are sealed (AES-256-GCM) or hashed before they reach these tables.

CREATE TABLE IF NOT EXISTS map_tokens (
  id               INT          NOT NULL AUTO_INCREMENT,
  environment      VARCHAR(64)  NOT NULL,
  organization_id  INT          NOT NULL,
  auth_type        VARCHAR(16)  NOT NULL,
  auth_key         VARCHAR(256) NULL,
  auth_secret_enc  TEXT         NULL,
  auth_timeout     INT          NULL,
  auth_url         VARCHAR(2048) NULL,
  token_enc        TEXT         NULL,
  token_issued_at  BIGINT       NULL,
  token_expires_at BIGINT       NULL,
  version          INT          NOT NULL DEFAULT 1,
  created_at       BIGINT       NOT NULL,
  updated_at       BIGINT       NOT NULL,
  PRIMARY KEY (id),
  KEY map_tokens_environment (environment, id),
  KEY map_tokens_organization (environment, organization_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS api_keys (
  id              INT          NOT NULL AUTO_INCREMENT,
  environment     VARCHAR(64)  NOT NULL,
  role            VARCHAR(16)  NOT NULL,
  organization_id INT          NULL,
  description     VARCHAR(256) NULL,
  key_hash        CHAR(64)     NOT NULL,
  created_at      BIGINT       NOT NULL,
  revoked_at      BIGINT       NULL,
  PRIMARY KEY (id),
  UNIQUE KEY api_keys_hash (key_hash),
  KEY api_keys_environment (environment)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS clients (
  client_id       VARCHAR(64)  NOT NULL,
  environment     VARCHAR(64)  NOT NULL,
  role            VARCHAR(16)  NOT NULL,
  organization_id INT          NULL,
  description     VARCHAR(256) NULL,
  created_at      BIGINT       NOT NULL,
  PRIMARY KEY (client_id),
  KEY clients_environment (environment)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS client_secrets (
  id          VARCHAR(32)  NOT NULL,
  client_id   VARCHAR(64)  NOT NULL,
  description VARCHAR(256) NULL,
  secret_hash CHAR(64)     NOT NULL,
  created_at  BIGINT       NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY client_secrets_hash (secret_hash),
  KEY client_secrets_client (client_id),
  CONSTRAINT client_secrets_client_fk FOREIGN KEY (client_id) REFERENCES clients (client_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS audit_events (
  id            BIGINT       NOT NULL AUTO_INCREMENT,
  environment   VARCHAR(64)  NOT NULL,
  actor         VARCHAR(256) NULL,
  request_id    VARCHAR(128) NOT NULL,
  action        VARCHAR(16)  NOT NULL,
  resource_type VARCHAR(32)  NOT NULL,
  resource_id   VARCHAR(64)  NOT NULL,
  at            BIGINT       NOT NULL,
  PRIMARY KEY (id),
  KEY audit_events_environment (environment, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
