import type { Principal } from '../domain';
import { ForbiddenError, TooManyRequestsError } from '../errors';
import { fromAllowedOrigin } from './caller-rules';
import type { KeyUsage } from './key-usage';
import type { ReadLimiter } from './read-limiter';

/**
 * What a key or client may do once it is known (SPEC "Reader keys live in browsers"), in this order: its
 * origin binding (a refused origin uses none of the limit), its read limit, then its use is noted for
 * lastUsedAt. Nothing here waits or touches the store: it runs on the token read's fast path.
 */
export class KeyRules {
  constructor(
    private readonly limiter: ReadLimiter,
    private readonly usage: KeyUsage,
  ) {}

  /** Throws ForbiddenError (403) for another origin, TooManyRequestsError (429) over the limit. */
  admit(principal: Principal, headers: { origin?: string; referer?: string }): void {
    const rules = principal.rules;
    if (rules) {
      if (rules.allowedOrigins !== null && !fromAllowedOrigin(rules.allowedOrigins, headers))
        throw new ForbiddenError(
          'This key is bound to other origins: it is accepted only from the pages it was created for (Origin, or Referer without it).',
        );
      if (rules.rateLimit !== null) {
        const waitSeconds = this.limiter.take(`${principal.kind}:${principal.id}`, rules.rateLimit);
        if (waitSeconds > 0)
          throw new TooManyRequestsError(
            `This key may read ${rules.rateLimit} token(s) a minute on this instance; try again in ${waitSeconds} s (Retry-After).`,
            waitSeconds,
          );
      }
    }
    if (principal.kind === 'key') this.usage.note(Number(principal.id));
  }
}
