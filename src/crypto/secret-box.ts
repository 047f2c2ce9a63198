import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { EncryptionKeyMissingError } from '../errors';

const VERSION = 'v1';

/**
 * AES-256-GCM for secrets at rest (ArcGIS client secrets and every token).
 * Output: "v1.<key id>.<iv>.<tag>.<ciphertext>" (base64url parts). The key id lets a list of keys
 * decrypt old rows after rotation: the first key encrypts, every key decrypts.
 */
export class SecretBox {
  private readonly keys: { id: string; key: Buffer }[];
  /** The first key: it encrypts. */
  private readonly current: { id: string; key: Buffer };

  constructor(keys: Buffer[]) {
    this.keys = keys.map((key) => {
      if (key.length !== 32) throw new Error('SecretBox keys must be 32 bytes');
      return { id: createHash('sha256').update(key).digest('hex').slice(0, 8), key };
    });
    const [current] = this.keys;
    if (!current) throw new Error('SecretBox needs at least one key');
    this.current = current;
  }

  encrypt(plaintext: string): string {
    const { id, key } = this.current;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  decrypt(sealed: string): string {
    const [version, id, iv, tag, ciphertext] = sealed.split('.');
    if (version !== VERSION || iv === undefined || tag === undefined || ciphertext === undefined) throw new Error('not a sealed value');
    // The keys named by the key id first, then every key; a wrong key fails GCM's tag check, so the
    // order only saves work.
    // Stryker disable next-line all: equivalent, for that reason
    const named = this.keys.filter((entry) => entry.id === id);
    for (const { key } of [...named, ...this.keys]) {
      try {
        // the whole 16-byte tag: without authTagLength, GCM would also check a tag cut to 4 bytes
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        // try the next key: a key id collision is possible, if unlikely
      }
    }
    // a key this instance holds failed GCM's check: the value was changed, not sealed elsewhere
    if (named.length) throw new Error('no ENCRYPTION_KEY decrypts this value (was the key that sealed it removed?)');
    // the key that sealed it is not (or no longer) in this instance's ENCRYPTION_KEY list
    throw new EncryptionKeyMissingError(/^[0-9a-f]{8}$/.test(String(id)) ? String(id) : 'unknown');
  }

  /** The public ids of this instance's keys (short hashes, never a key), the encrypting one first. */
  get keyIds(): string[] {
    return this.keys.map((entry) => entry.id);
  }

  /** True when the value was sealed with a key other than the current first one (re-encryption pending). */
  needsRotation(sealed: string): boolean {
    return sealed.split('.')[1] !== this.current.id;
  }
}
