import type { SecretBox } from '../crypto/secret-box';
import type { Store } from '../stores/store';

/** After a new ENCRYPTION_KEY is put first: re-seals what older keys sealed, so those keys can be retired. */
export class KeyRotationService {
  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
  ) {}

  /** Re-seals every stored secret and token not sealed with the first ENCRYPTION_KEY; returns how many. */
  reencryptAll(): Promise<number> {
    return this.store.mapTokens.resealAll((sealed) => (this.box.needsRotation(sealed) ? this.box.encrypt(this.box.decrypt(sealed)) : null));
  }
}
