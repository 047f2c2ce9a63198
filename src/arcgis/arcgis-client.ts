import * as http from 'node:http';
import * as https from 'node:https';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { type ApiError, UpstreamError, UpstreamRejectedError, UpstreamTimeoutError } from '../errors';
import type { AuthUrlAllowlist } from './auth-url-allowlist';
import { redactSecrets } from '../redaction';
import { type ArcgisToken, isRecord, type TokenRequest } from './token-request';

export type ArcgisOutcome = 'ok' | 'rejected' | 'error' | 'timeout';

export interface ArcgisClientOptions {
  timeoutMs: number;
  allowlist: AuthUrlAllowlist;
  /** Largest answer accepted; default 64 KiB. */
  maxBodyBytes?: number;
  /** Called once per HTTP attempt (for metrics). */
  onCall?: (outcome: ArcgisOutcome, durationMs: number) => void;
  /** The service's clock (epoch ms): an answer that gives an expiry date is turned into seconds left with it. */
  now?: () => number;
}

/** What one HTTP attempt came to. */
type Attempt = { token: ArcgisToken } | { error: ApiError; outcome: Exclude<ArcgisOutcome, 'ok'>; retryable: boolean };

const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
// One retry covers a keep-alive socket the server had just closed, or a single 5xx; more would
// only multiply the wait of a caller whose request is already slow.
const MAX_ATTEMPTS = 2;
const RETRYABLE_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE']);
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ERR_CANCELED']);
// ArcGIS's codes and OAuth2 error names for "these credentials or parameters are wrong".
const REJECTION_CODES = new Set([400, 401, 403, 498, 499]);
const REJECTION_ERRORS = new Set([
  'invalid_request',
  'invalid_client',
  'unauthorized_client',
  'invalid_grant',
  'invalid_scope',
  'unsupported_grant_type',
]);
const MAX_MESSAGE_CHARS = 300;

/**
 * The one outbound client: sends a token request that an auth type built (its protocol: token-protocols.ts)
 * to ArcGIS, and maps every failure to the service's own errors. It knows no auth type.
 */
export class ArcgisClient {
  private readonly http: AxiosInstance;
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  // Stryker disable next-line ObjectLiteral,BooleanLiteral: not testable here; no local https server has a certificate the client trusts
  private readonly httpsAgent = new https.Agent({ keepAlive: true });
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;

  constructor(private readonly options: ArcgisClientOptions) {
    this.timeoutMs = options.timeoutMs;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.http = axios.create({
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      // A redirect could carry the form body, and so the secret, to another host.
      maxRedirects: 0,
      maxContentLength: this.maxBodyBytes,
      maxBodyLength: this.maxBodyBytes,
      timeout: this.timeoutMs,
      // Every status is read here: ArcGIS puts its errors in the body, often with HTTP 200.
      validateStatus: () => true,
      responseType: 'text',
      // Stryker disable next-line ArrayDeclaration: equivalent; with no transform at all the text stays text too
      transformResponse: [(data: unknown) => data],
      // An HTTP(S)_PROXY in the environment must not silently receive the secrets.
      proxy: false,
    });
  }

  async fetchToken(request: TokenRequest): Promise<ArcgisToken> {
    this.options.allowlist.check(request.authURL);
    for (let attempt = 1; ; attempt += 1) {
      const result = await this.attempt(request);
      if ('token' in result) return result.token;
      if (!result.retryable || attempt >= MAX_ATTEMPTS) throw result.error;
    }
  }

  /** Drops idle keep-alive sockets, so a stopping process does not wait for them. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async attempt(request: TokenRequest): Promise<Attempt> {
    const { authURL } = request;
    const started = performance.now();
    let result: Attempt;
    try {
      const response: AxiosResponse<unknown> = await this.http.post(authURL, request.body, {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        // axios's own timeout does not cover a server that sends headers and then stalls the body.
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      result = readAnswer(
        response.status,
        // Stryker disable next-line StringLiteral: equivalent; any fallback text without "html" reads the same
        String(response.headers['content-type'] ?? ''),
        // Stryker disable next-line StringLiteral: unreachable; responseType text always gives a string
        typeof response.data === 'string' ? response.data : '',
        request,
        (this.options.now ?? Date.now)(),
      );
    } catch (err) {
      result = this.transportFailure(err, authURL);
    }
    this.report('token' in result ? 'ok' : result.outcome, performance.now() - started);
    return result;
  }

  /**
   * Maps an axios failure. The axios error itself is never passed on: its config holds the form
   * body, and with it the client secret.
   */
  private transportFailure(err: unknown, authURL: string): Attempt {
    const { kind, code } = classifyTransportFailure(err);
    if (kind === 'timeout') {
      return {
        error: new UpstreamTimeoutError(`ArcGIS did not answer within ${this.timeoutMs} ms`),
        outcome: 'timeout',
        retryable: false,
      };
    }
    if (kind === 'too-large') {
      return {
        error: new UpstreamError(`ArcGIS's answer was larger than ${formatBytes(this.maxBodyBytes)}; refused`),
        outcome: 'error',
        retryable: false,
      };
    }
    const cause = Object.assign(new Error(`ArcGIS call failed: ${code}`), { code });
    // Stryker disable next-line StringLiteral: unreachable; an authURL that passed the allowlist parses
    const origin = parseUrl(authURL)?.origin ?? 'the token URL';
    return {
      error: new UpstreamError(`Could not reach ArcGIS at ${origin} (${code})`, { cause }),
      outcome: 'error',
      retryable: kind === 'reset',
    };
  }

  private report(outcome: ArcgisOutcome, durationMs: number): void {
    try {
      this.options.onCall?.(outcome, durationMs);
    } catch {
      // A failing metrics hook must not turn a token into an error.
    }
  }
}

/**
 * What a failed HTTP attempt (no answer read) was: too slow, too large, a connection that was reset or
 * refused (worth one retry), or any other network failure. `code` is safe to show: an error code, never
 * a message that could quote the request.
 */
export function classifyTransportFailure(err: unknown): {
  kind: 'timeout' | 'too-large' | 'reset' | 'network';
  code: string;
} {
  // Stryker disable next-line ConditionalExpression: equivalent; an AxiosError's code is a string or undefined
  const code = axios.isAxiosError(err) && typeof err.code === 'string' ? err.code : undefined;
  // Stryker disable next-line StringLiteral: equivalent; any fallback text not naming maxContentLength or a hang-up reads the same
  const message = err instanceof Error ? err.message : '';
  const shown = code !== undefined && /^[A-Z][A-Z0-9_]*$/.test(code) ? code : 'network error';
  if (axios.isCancel(err) || (code !== undefined && TIMEOUT_CODES.has(code))) return { kind: 'timeout', code: shown };
  if (message.includes('maxContentLength')) return { kind: 'too-large', code: shown };
  const reset = (code !== undefined && RETRYABLE_NETWORK_CODES.has(code)) || message.includes('socket hang up');
  return { kind: reset ? 'reset' : 'network', code: shown };
}

function parseUrl(url: string): URL | undefined {
  return URL.canParse(url) ? new URL(url) : undefined;
}

function formatBytes(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}

/** Reads one answer of the token URL: ArcGIS's errors are in the body, whatever the status says. */
function readAnswer(status: number, contentType: string, text: string, request: TokenRequest, now: number): Attempt {
  const { secret } = request;
  const fail = (message: string, retryable = false): Attempt => ({
    error: new UpstreamError(message),
    outcome: 'error',
    retryable,
  });
  if (status >= 300 && status < 400) {
    return fail(`ArcGIS answered with a redirect (HTTP ${status}); redirects are not followed`);
  }
  const serverFault = status >= 500;
  const json = parseJson(text);
  if (json === undefined) {
    // Nothing of the body goes into the message: an error page may echo the request.
    const html = contentType.includes('html') || /^\s*</.test(text) ? ' (HTML)' : '';
    return fail(`The ArcGIS token URL answered HTTP ${status} with a non-JSON${html} body`, serverFault);
  }
  if (isRecord(json) && isRecord(json.error)) {
    const code = Number(json.error.code);
    // Stryker disable next-line StringLiteral: equivalent; any fallback text that is no OAuth error name reads the same
    const name = typeof json.error.error === 'string' ? json.error.error : '';
    const arcgisMessage = cleanMessage(json.error, secret);
    if (REJECTION_CODES.has(code) || REJECTION_ERRORS.has(name)) {
      return { error: new UpstreamRejectedError(arcgisMessage), outcome: 'rejected', retryable: false };
    }
    const codeText = Number.isFinite(code) ? ` (code ${code})` : '';
    return fail(`ArcGIS answered with an error${codeText}: ${arcgisMessage}`, serverFault);
  }
  if (serverFault) return fail(`ArcGIS answered HTTP ${status}`, true);
  // 3xx and 5xx were answered above; what is left is 2xx or 4xx (Node hands over no final status below 200).
  if (status >= 400) return fail(`ArcGIS answered HTTP ${status} without a token`);
  const token = request.readToken(json, now);
  return typeof token === 'string' ? fail(token) : { token };
}

/** ArcGIS's own words, made safe to show and log: one line, no secret, bounded. */
function cleanMessage(error: Record<string, unknown>, secret: string): string {
  const text = [error.error_description, error.message, error.error].find(
    (value): value is string => typeof value === 'string' && value.trim() !== '',
  );
  // generateToken says what went wrong in `details` ("Unable to generate token." alone says little); a blank
  // one adds only white space, which the one line below collapses
  const details = Array.isArray(error.details)
    ? error.details.filter((value): value is string => typeof value === 'string' && value !== text)
    : [];
  const fallback = `ArcGIS error ${String(error.code ?? 'without a code')}`;
  // Redact before and after making one line: a secret may hold a control character, and an echo may put a tab, a
  // line break or another space character where the secret has white space (one line then spells the secret, its
  // white space collapsed alike). All before cutting, so a cut can never leave a whole secret behind.
  const message = redactSecrets([text ?? fallback, ...details].join(' '), [secret]);
  const oneLine = redactSecrets(asOneLine(message), [secret, asOneLine(secret)]);
  return oneLine.trim().slice(0, MAX_MESSAGE_CHARS);
}

/** One line of single spaces: every run of white space and control characters (C0, C1, line and paragraph separators) is one space. */
function asOneLine(text: string): string {
  return text.replace(/[\s\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ');
}

// Stryker disable BlockStatement: equivalent; an emptied catch block returns undefined as well
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
// Stryker restore BlockStatement
