import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * AES-256-GCM for secrets at rest (ArcGIS client secrets and every token).
 * Output: "v1.<key id>.<iv>.<tag>.<ciphertext>" (base64url parts). The key id lets a list of keys
 * decrypt old rows after rotation: the first key encrypts, every key decrypts.
 */
export class SecretBox {
  private readonly keys: { id: string; key: Buffer }[];

  constructor(keys: Buffer[]) {
    if (keys.length === 0) throw new Error('SecretBox needs at least one key');
    this.keys = keys.map((key) => {
      if (key.length !== 32) throw new Error('SecretBox keys must be 32 bytes');
      return { id: createHash('sha256').update(key).digest('hex').slice(0, 8), key };
    });
  }

  encrypt(plaintext: string): string {
    const { id, key } = this.keys[0];
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  decrypt(sealed: string): string {
    const [version, id, iv, tag, ciphertext] = sealed.split('.');
    if (version !== VERSION || ciphertext === undefined) throw new Error('not a sealed value');
    // Stryker disable next-line all: equivalent; picking the keys named by the key id only saves work, as any other key fails GCM's tag check
    const candidates = this.keys.filter((entry) => entry.id === id);
    // Stryker disable next-line ConditionalExpression: equivalent, for the same reason ("false" tries every key)
    for (const { key } of candidates.length > 0 ? candidates : this.keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        // try the next key: a key id collision is possible, if unlikely
      }
    }
    throw new Error('no ENCRYPTION_KEY decrypts this value (was the key that sealed it removed?)');
  }

  /** True when the value was sealed with a key other than the current first one (re-encryption pending). */
  needsRotation(sealed: string): boolean {
    return sealed.split('.')[1] !== this.keys[0].id;
  }
}
