-- Client ids and secret ids match byte for byte. utf8mb4_bin is a PAD SPACE collation on both MariaDB
-- and MySQL, so "id " compared equal to "id"; binary strings compare every byte, trailing spaces
-- included, on MariaDB 10.x and MySQL 8.x alike (MariaDB's utf8mb4_nopad_bin does not exist in MySQL,
-- and MySQL's utf8mb4_0900_bin does not exist in MariaDB 10). The ids the service issues are ASCII, so
-- converting keeps every stored byte. Key and secret hashes are looked up by the 64 hex characters of a
-- SHA-256 that the service computes itself, so padding cannot reach them; they stay as they are.
ALTER TABLE client_secrets DROP FOREIGN KEY client_secrets_client_fk;
ALTER TABLE clients MODIFY client_id VARBINARY(64) NOT NULL;
ALTER TABLE client_secrets MODIFY id VARBINARY(32) NOT NULL, MODIFY client_id VARBINARY(64) NOT NULL;
ALTER TABLE client_secrets
  ADD CONSTRAINT client_secrets_client_fk FOREIGN KEY (client_id) REFERENCES clients (client_id) ON DELETE CASCADE;
