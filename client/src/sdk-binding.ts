import type { CredentialRequest, EsriConfigLike, IdentityManagerLike, TokenAnswer } from './map-token-client';

/** A token that the service answered again after a report is not reported again for this long (its 30-second window). */
const SAME_TOKEN_QUIET_MS = 30_000;
/** Tokens of this connection that a request may still carry (older ones are long expired). */
const KNOWN_TOKENS = 8;

/** What the binding needs of its connection. */
export interface BindingHost {
  current(): TokenAnswer | null;
  report(token: string): Promise<TokenAnswer>;
  now(): number;
}

/**
 * Hands each answer to the ArcGIS Maps SDK, and takes over the SDK's 498 path for this connection's tokens.
 *
 * When a request with a registered token gets 498 (HTTP status or a JSON error code in an HTTP 200 body),
 * @arcgis/core awaits IdentityManager.getCredential(url, { token, error }) before any interceptor's error
 * hook runs, and getCredential destroys the credential and opens the sign-in dialog. So while connected,
 * getCredential is wrapped: for a token of this connection refused with 498 it reports the token (once),
 * registers the next one and resolves with its credential, and the SDK sends the request again with it.
 * If the service answers the same token (it renews a reported token at most once per 30 s), the request's
 * own error goes to the caller. Every other call goes to the SDK's own getCredential.
 */
export class SdkBinding {
  private readonly known: string[] = [];
  private answeredAgain: { token: string; at: number } | null = null;
  private restore: (() => void) | null = null;

  constructor(
    private readonly host: BindingHost,
    private readonly identityManager: IdentityManagerLike | undefined,
    private readonly esriConfig: EsriConfigLike | undefined,
  ) {
    if (identityManager) this.restore = wrapGetCredential(identityManager, (original) => this.getCredential(original));
  }

  register(answer: TokenAnswer): void {
    if (!this.known.includes(answer.token)) this.known.push(answer.token);
    if (this.known.length > KNOWN_TOKENS) this.known.shift();
    if (answer.server !== null) {
      // registerToken needs a server: with null it throws (TypeError from the SDK's URL handling)
      this.identityManager?.registerToken({
        server: answer.server,
        token: answer.token,
        ssl: answer.ssl,
        ...(answer.expires === null ? {} : { expires: answer.expires }),
      });
    } else if (this.esriConfig) {
      this.esriConfig.apiKey = answer.token;
    }
  }

  detach(): void {
    this.restore?.();
    this.restore = null;
  }

  private getCredential(original: IdentityManagerLike['getCredential']): IdentityManagerLike['getCredential'] {
    return (url, request) => {
      const token = request?.token;
      if (this.restore === null || typeof token !== 'string' || !this.known.includes(token) || !isInvalidToken(request?.error))
        return original(url, request);
      return this.renew(token, url, request as CredentialRequest);
    };
  }

  private async renew(token: string, url: string, request: CredentialRequest): Promise<unknown> {
    let answer = this.host.current();
    if (answer?.token === token) {
      const again = this.answeredAgain;
      if (again?.token === token && this.host.now() - again.at < SAME_TOKEN_QUIET_MS) throw request.error;
      answer = await this.host.report(token);
      if (answer.token === token) {
        this.answeredAgain = { token, at: this.host.now() };
        throw request.error;
      }
    }
    // the request carried an older token of this connection, or the report brought a new one: already registered
    const credential = answer?.server
      ? (this.identityManager?.findCredential(answer.server) ?? this.identityManager?.findCredential(url))
      : null;
    if (!credential) throw request.error;
    return credential;
  }
}

/** The SDK's request error for an invalid token: details.httpStatus 498, from the HTTP status or the JSON error code. */
function isInvalidToken(error: unknown): boolean {
  return (error as { details?: { httpStatus?: unknown } } | undefined)?.details?.httpStatus === 498;
}

/**
 * Replaces identityManager.getCredential; returns the function that puts back what was there. A wrapper that
 * another connection put on top since stays (and passes every call through once this one is detached).
 */
function wrapGetCredential(
  identityManager: IdentityManagerLike,
  wrap: (original: IdentityManagerLike['getCredential']) => IdentityManagerLike['getCredential'],
): () => void {
  const own = Object.prototype.hasOwnProperty.call(identityManager, 'getCredential');
  const previous = identityManager.getCredential;
  const wrapper = wrap(previous.bind(identityManager));
  identityManager.getCredential = wrapper;
  return () => {
    if (identityManager.getCredential !== wrapper) return;
    if (own) identityManager.getCredential = previous;
    else delete (identityManager as Partial<IdentityManagerLike>).getCredential;
  };
}
