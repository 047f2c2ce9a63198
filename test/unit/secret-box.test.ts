import { SecretBox } from '../../src/crypto/secret-box';
import { hashSecret, newClientSecret, newSubscriptionKey, sameHash } from '../../src/crypto/secrets';

const key1 = Buffer.alloc(32, 1);
const key2 = Buffer.alloc(32, 2);

describe('SecretBox (AES-256-GCM at rest)', () => {
  it('seals with a fresh IV each time and opens what it sealed', () => {
    const box = new SecretBox([key1]);
    const a = box.encrypt('client-secret');
    const b = box.encrypt('client-secret');
    expect(a).not.toBe(b);
    expect(a).not.toContain('client-secret');
    expect(box.decrypt(a)).toBe('client-secret');
    expect(box.decrypt(box.encrypt(''))).toBe('');
    expect(box.decrypt(box.encrypt('ünïcödé ✓'))).toBe('ünïcödé ✓');
  });

  it('rotates: the first key seals, every key opens, and old values are marked for re-encryption', () => {
    const old = new SecretBox([key1]).encrypt('kept');
    const rotated = new SecretBox([key2, key1]);
    expect(rotated.decrypt(old)).toBe('kept');
    expect(rotated.needsRotation(old)).toBe(true);
    expect(rotated.needsRotation(rotated.encrypt('new'))).toBe(false);
    expect(() => new SecretBox([key2]).decrypt(old)).toThrow(/ENCRYPTION_KEY id [0-9a-f]{8}, which this instance does not hold/);
  });

  it('refuses a tampered value', () => {
    const box = new SecretBox([key1]);
    const sealed = box.encrypt('value');
    const parts = sealed.split('.');
    parts[4] = Buffer.from('other').toString('base64url');
    expect(() => box.decrypt(parts.join('.'))).toThrow();
    expect(() => box.decrypt('plaintext')).toThrow();
  });
});

describe('keys and secrets', () => {
  it('makes URL-safe keys of at least 32 random bytes and secrets of 64', () => {
    const key = newSubscriptionKey();
    expect(key).toMatch(/^mtp_[A-Za-z0-9_-]{43}$/);
    expect(newClientSecret()).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(new Set(Array.from({ length: 100 }, newSubscriptionKey)).size).toBe(100);
  });

  it('compares hashes in constant time and only equal hashes match', () => {
    const hash = hashSecret('k');
    expect(sameHash(hash, hashSecret('k'))).toBe(true);
    expect(sameHash(hash, hashSecret('j'))).toBe(false);
    expect(sameHash(hash, 'abc')).toBe(false);
    expect(sameHash('', '')).toBe(false);
  });
});
