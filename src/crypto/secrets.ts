import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Subscription keys and client secrets are high-entropy random strings, so a plain SHA-256 is a safe
 * one-way hash for them (no salt or slow hash is needed against guessing 256+ random bits), and it lets
 * the store find a key by its hash with an index.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** A subscription key: 32 random bytes, URL-safe, with a prefix that makes a leaked key easy to recognise. */
export function newSubscriptionKey(): string {
  return `mtp_${randomBytes(32).toString('base64url')}`;
}

/** A client secret: 64 random bytes, URL-safe (86 characters). */
export function newClientSecret(): string {
  return randomBytes(64).toString('base64url');
}

export function newClientId(): string {
  return `mtpc_${randomBytes(12).toString('hex')}`;
}

export function newSecretId(): string {
  return randomBytes(12).toString('hex');
}
