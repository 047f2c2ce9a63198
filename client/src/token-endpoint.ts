import { type ConnectOptions, MapTokenError, type TokenAnswer } from './map-token-client';

/** fetch, injected so that tests answer it. */
export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

/**
 * The token read of one map token: GET for the current token, POST {"rejected"} to report a token ArcGIS
 * refused. Every failure becomes a MapTokenError (status, the service's code, Retry-After).
 */
export class TokenEndpoint {
  private readonly url: string;

  constructor(
    private readonly options: ConnectOptions,
    private readonly fetch: FetchFunction,
  ) {
    this.url = `${options.service.replace(/\/+$/, '')}/api/v1/map-tokens/${encodeURIComponent(String(options.mapTokenID))}/token`;
  }

  read(signal: AbortSignal): Promise<TokenAnswer> {
    return this.call({ method: 'GET' }, signal);
  }

  report(rejected: string, signal: AbortSignal): Promise<TokenAnswer> {
    return this.call({ method: 'POST', body: JSON.stringify({ rejected }) }, signal);
  }

  private async call(init: { method: string; body?: string }, signal: AbortSignal): Promise<TokenAnswer> {
    const headers: Record<string, string> = { 'atr-environment-id': this.options.environment };
    if (this.options.authorization) headers.authorization = await this.options.authorization();
    else if (this.options.key !== undefined) headers['atr-subscription-key'] = this.options.key;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetch(this.url, { ...init, headers, credentials: 'omit', signal });
    } catch (error) {
      throw new MapTokenError(`The token service could not be reached: ${(error as Error).message}`, null);
    }
    const body = (await response.json().catch(() => null)) as (Partial<TokenAnswer> & { msg?: unknown; code?: unknown }) | null;
    if (response.ok && isAnswer(body)) return body;
    const message = typeof body?.msg === 'string' ? body.msg : `The token service answered HTTP ${response.status}`;
    const code = typeof body?.code === 'string' ? body.code : null;
    throw new MapTokenError(message, response.ok ? null : response.status, code, retryAfterMs(response.headers.get('retry-after')));
  }
}

function isAnswer(body: unknown): body is TokenAnswer {
  const answer = body as TokenAnswer | null;
  return typeof answer?.token === 'string' && answer.token.length > 0 && (answer.expires === null || typeof answer.expires === 'number');
}

/** Retry-After in whole seconds (what the service sends) or as an HTTP date. */
function retryAfterMs(value: string | null): number | null {
  if (value === null) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}
