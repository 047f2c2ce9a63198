/**
 * Secret values this repository publishes as examples (docker-compose.yml, .env.example, the README and
 * docs/). A deployment that still carries one runs on a key anyone can read, so each stops the start like
 * a malformed value. test/unit/placeholder-secrets.test.ts scans those files and fails when a value
 * published there is not refused here.
 */
const PUBLISHED: Record<PlaceholderVariable, string[]> = {
  // base64 of "REPLACE-ME-REPLACE-ME-REPLACE-ME" (32 bytes, so it passes as a key)
  ENCRYPTION_KEY: ['UkVQTEFDRS1NRS1SRVBMQUNFLU1FLVJFUExBQ0UtTUU='],
  ACCESS_TOKEN_SIGNING_KEY: ['REPLACE-ME-with-at-least-32-random-characters'],
  // the password inside MYSQL_URL
  MYSQL_URL: ['REPLACE-ME-mysql-password', 'change-me', 'pass'],
};

/** Words that mark a value as an example to be replaced, in any letter case, also inside a decoded key. */
const PLACEHOLDER_WORDS = /replace[-_ ]?me|change[-_ ]?me/i;

export type PlaceholderVariable = 'ENCRYPTION_KEY' | 'ACCESS_TOKEN_SIGNING_KEY' | 'MYSQL_URL';

/**
 * Whether `value` (one ENCRYPTION_KEY of the list, the signing key, or MYSQL_URL's password) is a
 * published example: its exact text, or one carrying a "replace me" or "change me". `decoded` is the text
 * of a base64 key's bytes, where such words hide.
 */
export function isPlaceholder(variable: PlaceholderVariable, value: string, decoded = ''): boolean {
  return PUBLISHED[variable].includes(value) || PLACEHOLDER_WORDS.test(value) || PLACEHOLDER_WORDS.test(decoded);
}
