import { EncryptionKeyMissingError } from '../../src/errors';
import { SecretBox } from '../../src/crypto/secret-box';
import { hashSecret, newClientId, newClientSecret, newSecretId, newSubscriptionKey, sameHash } from '../../src/crypto/secrets';

/** The persisted formats and the boundaries of crypto/: what a row written today must still mean tomorrow. */
const key1 = Buffer.alloc(32, 1);
const key2 = Buffer.alloc(32, 2);
// The first 8 hex digits of SHA-256 of each key: the key id written into every sealed value.
const KEY1_ID = '72cd6e84';
const KEY2_ID = '75877bb4';
// Sealed once under key1; a stored row in this format must open for as long as key1 is configured.
const STORED_UNDER_KEY1 = 'v1.72cd6e84.mxzKxmQYs_rQ8et2.WjXLt_0THKx2dB9vK8kNIA.7hYROBrSOVCYXumuSh21zAg';
const STORED_PLAINTEXT = 'client-secret ✓';

describe('the sealed-value format', () => {
  it('is v1.<key id>.<12-byte iv>.<16-byte tag>.<ciphertext>, base64url, the key id from the sealing key', () => {
    const sealed = new SecretBox([key1, key2]).encrypt('abc');
    const parts = sealed.split('.');

    expect(parts).toHaveLength(5);
    expect(parts[0]).toBe('v1');
    expect(parts[1]).toBe(KEY1_ID);
    expect(Buffer.from(parts[2], 'base64url')).toHaveLength(12);
    expect(Buffer.from(parts[3], 'base64url')).toHaveLength(16);
    // GCM is a stream mode: as many ciphertext bytes as UTF-8 plaintext bytes.
    expect(Buffer.from(parts[4], 'base64url')).toHaveLength(3);
    for (const part of parts) expect(part).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(new SecretBox([key2]).encrypt('abc').split('.')[1]).toBe(KEY2_ID);
  });

  it('opens a value stored in that format earlier', () => {
    expect(new SecretBox([key1]).decrypt(STORED_UNDER_KEY1)).toBe(STORED_PLAINTEXT);
    expect(new SecretBox([key2, key1]).decrypt(STORED_UNDER_KEY1)).toBe(STORED_PLAINTEXT);
  });

  it('seals the empty string as a value with an empty ciphertext part that opens again', () => {
    const box = new SecretBox([key1]);
    const sealed = box.encrypt('');

    expect(sealed.split('.')).toHaveLength(5);
    expect(sealed.endsWith('.')).toBe(true);
    expect(box.decrypt(sealed)).toBe('');
  });

  it.each([
    ['another version', STORED_UNDER_KEY1.replace(/^v1\./, 'v2.')],
    ['no version', STORED_UNDER_KEY1.slice(3)],
    ['a missing part', STORED_UNDER_KEY1.split('.').slice(0, 4).join('.')],
    ['plain text', 'client-secret'],
  ])('refuses %s as not a sealed value', (_what, value) => {
    expect(() => new SecretBox([key1]).decrypt(value)).toThrow(/^not a sealed value$/);
  });

  it('still opens a value whose key id names no configured key, by trying every key', () => {
    const parts = STORED_UNDER_KEY1.split('.');
    parts[1] = 'ffffffff';

    expect(new SecretBox([key2, key1]).decrypt(parts.join('.'))).toBe(STORED_PLAINTEXT);
  });

  it('refuses a changed tag, iv or ciphertext, and a value of a removed key, without quoting the value', () => {
    const box = new SecretBox([key1]);
    for (const index of [2, 3, 4]) {
      const parts = STORED_UNDER_KEY1.split('.');
      const bytes = Buffer.from(parts[index], 'base64url');
      bytes[0] ^= 1;
      parts[index] = bytes.toString('base64url');
      expect(() => box.decrypt(parts.join('.'))).toThrow(
        /^no ENCRYPTION_KEY decrypts this value \(was the key that sealed it removed\?\)$/,
      );
    }
    expect(() => new SecretBox([key2]).decrypt(STORED_UNDER_KEY1)).toThrow(EncryptionKeyMissingError);
  });

  it('refuses a tag cut short: only a whole 16-byte tag opens a value (GCM would check a 4-byte tag)', () => {
    const box = new SecretBox([key1]);
    for (const length of [4, 8, 12, 15]) {
      const parts = STORED_UNDER_KEY1.split('.');
      parts[3] = Buffer.from(parts[3], 'base64url').subarray(0, length).toString('base64url');
      expect(() => box.decrypt(parts.join('.'))).toThrow(/^no ENCRYPTION_KEY decrypts this value/);
    }
  });

  it('names the missing key by its id (never the key) when no key it holds sealed the value, "unknown" for an id of another shape', () => {
    const id = STORED_UNDER_KEY1.split('.')[1];
    let error: unknown;
    try {
      new SecretBox([key2]).decrypt(STORED_UNDER_KEY1);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(EncryptionKeyMissingError);
    expect(error).toMatchObject({ keyId: id, status: 503, code: 'ServiceUnavailable' });
    expect((error as Error).message).toBe(
      `This value was sealed with ENCRYPTION_KEY id ${id}, which this instance does not hold; add that key to ENCRYPTION_KEY on every instance (docs/key-rotation.md).`,
    );
    expect(new SecretBox([key1, key2]).keyIds).toEqual([id, new SecretBox([key2]).encrypt('x').split('.')[1]]);
    for (const [shape, expected] of [
      ['FFFFFFFF', 'unknown'],
      ['fffffff', 'unknown'],
      ['fffffffff', 'unknown'],
      ['0123abcd', '0123abcd'],
    ]) {
      const parts = STORED_UNDER_KEY1.split('.');
      parts[1] = shape;
      expect(() => new SecretBox([key2]).decrypt(parts.join('.'))).toThrow(expect.objectContaining({ keyId: expected }));
    }
  });

  it('marks for re-encryption exactly the values not sealed with the first key', () => {
    const box = new SecretBox([key1, key2]);

    expect(box.needsRotation(STORED_UNDER_KEY1)).toBe(false);
    expect(box.needsRotation(new SecretBox([key2]).encrypt('x'))).toBe(true);
    expect(new SecretBox([key2, key1]).needsRotation(STORED_UNDER_KEY1)).toBe(true);
  });
});

describe('SecretBox keys', () => {
  it('needs at least one key', () => {
    expect(() => new SecretBox([])).toThrow(/^SecretBox needs at least one key$/);
  });

  it.each([0, 16, 31, 33, 64])('refuses a key of %i bytes', (length) => {
    expect(() => new SecretBox([key1, Buffer.alloc(length, 3)])).toThrow(/^SecretBox keys must be 32 bytes$/);
  });

  it('takes keys of exactly 32 bytes', () => {
    expect(() => new SecretBox([Buffer.alloc(32, 3)])).not.toThrow();
  });
});

describe('hashes, keys and ids', () => {
  it('hashes a secret as the hex SHA-256 of its UTF-8 bytes', () => {
    expect(hashSecret('k')).toBe('8254c329a92850f6d539dd376f4816ee2764517da5e0235514af433164480d7a');
    expect(hashSecret('é')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
  });

  it('matches only two equal, non-empty hashes of the same length', () => {
    const hash = hashSecret('k');

    expect(sameHash(hash, hashSecret('k'))).toBe(true);
    expect(sameHash(hash, hash.toUpperCase())).toBe(true);
    expect(sameHash(hash, hashSecret('j'))).toBe(false);
    expect(sameHash(hash, hash.slice(0, 62))).toBe(false);
    expect(sameHash(hash.slice(0, 62), hash)).toBe(false);
    expect(sameHash('', hash)).toBe(false);
    expect(sameHash('', '')).toBe(false);
    expect(sameHash('00', '00')).toBe(true);
  });

  it('makes client ids, secret ids, keys and secrets in their documented shapes, never twice the same', () => {
    const ids = Array.from({ length: 50 }, newClientId);
    const secretIds = Array.from({ length: 50 }, newSecretId);
    const secrets = Array.from({ length: 50 }, newClientSecret);

    for (const id of ids) expect(id).toMatch(/^mtpc_[0-9a-f]{24}$/);
    for (const id of secretIds) expect(id).toMatch(/^[0-9a-f]{24}$/);
    for (const secret of secrets) expect(secret).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(newSubscriptionKey()).toMatch(/^mtp_[A-Za-z0-9_-]{43}$/);
    expect(new Set(ids).size).toBe(50);
    expect(new Set(secretIds).size).toBe(50);
    expect(new Set(secrets).size).toBe(50);
  });
});
