import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A real local HTTP server that speaks ArcGIS's two token protocols, with switchable failure modes:
 * the OAuth2 token URL (client_credentials, agol items) and generateToken (enterprise items) of a
 * portal (`/portal/sharing/rest/generateToken`) and of a standalone ArcGIS Server
 * (`/arcgis/tokens/generateToken`). Tests talk to it over TCP, so they exercise the client's real axios
 * setup: timeouts, redirects, body limits, resets and keep-alive.
 */
export const FAKE_ARCGIS_MODES = [
  'ok',
  'reject',
  'error-200-500',
  'http-500',
  'html',
  'bad-json',
  'hang',
  'reset',
  'redirect',
  'huge',
  'missing-token',
  'slow',
  // a rejection that quotes the request back, in every form an upstream may use (see echoError)
  'echo',
] as const;

export type FakeArcgisMode = (typeof FAKE_ARCGIS_MODES)[number];

export interface FakeArcgisCall {
  path: string;
  contentType: string | undefined;
  query: string;
  params: Record<string, string>;
  /** The form body as sent. */
  body: string;
  at: number;
}

export interface FakeArcgisOptions {
  lifetimeSeconds?: number;
  /** client_id -> the secret accepted for it; without it any pair is accepted. */
  credentials?: Record<string, string>;
  /** generateToken: user name -> the password accepted for it; without it any pair is accepted. */
  users?: Record<string, string>;
}

export const FAKE_ARCGIS_TOKEN_PATH = '/sharing/rest/oauth2/token/';
export const FAKE_ARCGIS_PORTAL_GENERATE_TOKEN_PATH = '/portal/sharing/rest/generateToken';
export const FAKE_ARCGIS_SERVER_GENERATE_TOKEN_PATH = '/arcgis/tokens/generateToken';
type Protocol = 'oauth' | 'generateToken';
const DEFAULT_LIFETIME_SECONDS = 7200;
// 'slow' with no delayMs set still has to be slow to mean anything.
const DEFAULT_SLOW_MS = 1000;
// Shown in the HTML page, so a test can prove the client never copies a body into a message.
export const FAKE_ARCGIS_HTML_MARKER = 'fake-arcgis-error-page';

export class FakeArcgis {
  mode: FakeArcgisMode = 'ok';
  delayMs = 0;
  calls: FakeArcgisCall[] = [];
  /** The clock generateToken's `expires` (epoch ms) is counted from; a test sets it to its fake clock. */
  now: () => number = Date.now;
  /** generateToken's `ssl` flag in 'ok' answers. */
  ssl = false;

  private lifetime: number;
  private lifetimeExplicit: boolean;
  private readonly credentials?: Record<string, string>;
  private readonly queued: FakeArcgisMode[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server?: http.Server;
  private gate?: Promise<void>;
  private baseUrl?: string;
  private issued = 0;

  constructor(private readonly options: FakeArcgisOptions = {}) {
    this.lifetime = options.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS;
    this.lifetimeExplicit = options.lifetimeSeconds !== undefined;
    this.credentials = options.credentials;
  }

  /** expires_in handed out in 'ok' mode. Set explicitly, it wins over a requested `expiration`. */
  get lifetimeSeconds(): number {
    return this.lifetime;
  }

  set lifetimeSeconds(seconds: number) {
    this.setLifetime(seconds);
  }

  setLifetime(seconds: number): void {
    this.lifetime = seconds;
    this.lifetimeExplicit = true;
  }

  get url(): string {
    if (this.baseUrl === undefined) throw new Error('FakeArcgis is not started');
    return this.baseUrl;
  }

  get tokenUrl(): string {
    return `${this.url}${FAKE_ARCGIS_TOKEN_PATH}`;
  }

  /** generateToken of an ArcGIS Enterprise portal. */
  get portalTokenUrl(): string {
    return `${this.url}${FAKE_ARCGIS_PORTAL_GENERATE_TOKEN_PATH}`;
  }

  /** generateToken of a standalone ArcGIS Server. */
  get serverTokenUrl(): string {
    return `${this.url}${FAKE_ARCGIS_SERVER_GENERATE_TOKEN_PATH}`;
  }

  async start(port = 0): Promise<string> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    // Hanging requests and keep-alive sockets would otherwise keep close() (and jest) waiting.
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Holds every answer (from now on) until the returned function is called: lets a test decide exactly
   * what happens while a caller waits for ArcGIS, instead of guessing with sleeps.
   */
  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.gate = undefined;
      release();
    };
  }

  /** Resolves once `count` calls have arrived (rejects after `timeoutMs`). */
  async waitForCalls(count: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.calls.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} ArcGIS calls, got ${this.calls.length}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** The next `times` requests get `mode`; after them the server returns to `this.mode`. */
  failNext(mode: FakeArcgisMode, times = 1): void {
    for (let i = 0; i < times; i += 1) this.queued.push(mode);
  }

  reset(): void {
    this.calls = [];
    this.mode = 'ok';
    this.delayMs = 0;
    this.queued.length = 0;
    this.gate = undefined;
    this.lifetime = this.options.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS;
    this.lifetimeExplicit = this.options.lifetimeSeconds !== undefined;
    this.now = Date.now;
    this.ssl = false;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.on('error', () => undefined);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => undefined);
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake.invalid');
      const body = Buffer.concat(chunks).toString('utf8');
      const call: FakeArcgisCall = {
        path: url.pathname,
        contentType: req.headers['content-type'],
        query: url.search.replace(/^\?/, ''),
        params: Object.fromEntries(new URLSearchParams(body)),
        body,
        at: Date.now(),
      };
      if (url.pathname === '/elsewhere') {
        // Reached only by a client that followed the redirect; answer with a token so that it shows.
        this.calls.push(call);
        const token = this.newToken();
        return sendJson(res, 200, { access_token: token, expires_in: this.lifetime, token, expires: this.now() + this.lifetime * 1000 });
      }
      if (req.method !== 'POST') return sendHtml(res, 405, 'Method not allowed');
      this.calls.push(call);
      const protocol = protocolOf(url.pathname);
      if (protocol === undefined) return sendHtml(res, 404, 'Not found');
      const mode = this.queued.shift() ?? this.mode;
      if (mode === 'hang') return; // the socket stays open until the client gives up or stop()
      const delay = mode === 'slow' ? this.delayMs || DEFAULT_SLOW_MS : this.delayMs;
      const go = () =>
        this.later(delay, () =>
          mode === 'echo' ? sendJson(res, 200, echoError(call.body)) : this.answer(mode, protocol, call.params, req, res),
        );
      if (this.gate) void this.gate.then(go);
      else go();
    });
  }

  private later(delayMs: number, action: () => void): void {
    if (delayMs <= 0) return action();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, delayMs);
    this.timers.add(timer);
  }

  private answer(
    mode: FakeArcgisMode,
    protocol: Protocol,
    params: Record<string, string>,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): void {
    if (protocol === 'generateToken') return this.answerGenerateToken(mode, params, req, res);
    switch (mode) {
      case 'ok':
      case 'slow':
      case 'hang':
        return this.answerToken(params, res);
      case 'reject':
        return sendJson(res, 200, arcgisError(400, 'invalid_request', 'Invalid client_secret'));
      case 'error-200-500':
        return sendJson(res, 200, arcgisError(500, 'server_error', 'Unable to generate token.'));
      case 'bad-json':
        return sendRaw(res, 200, 'application/json', '{"access_token":"fake-trunc');
      case 'huge':
        return sendJson(res, 200, {
          access_token: this.newToken(),
          expires_in: this.lifetime,
          padding: 'x'.repeat(200 * 1024),
        });
      case 'missing-token':
        return sendJson(res, 200, { expires_in: DEFAULT_LIFETIME_SECONDS });
      default:
        return this.answerFailure(mode, req, res);
    }
  }

  /** generateToken's answers: a token with `expires` in epoch milliseconds, errors as HTTP 200 bodies. */
  private answerGenerateToken(
    mode: FakeArcgisMode,
    params: Record<string, string>,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): void {
    switch (mode) {
      case 'ok':
      case 'slow':
      case 'hang':
        return this.answerGeneratedToken(params, res);
      case 'reject':
        return sendJson(res, 200, generateTokenError(400, 'Invalid username or password.'));
      case 'error-200-500':
        return sendJson(res, 200, { error: { code: 500, message: 'Unable to generate token.', details: [] } });
      case 'bad-json':
        return sendRaw(res, 200, 'application/json', '{"token":"fake-trunc');
      case 'huge':
        return sendJson(res, 200, {
          token: this.newToken(),
          expires: this.now() + this.lifetime * 1000,
          ssl: this.ssl,
          padding: 'x'.repeat(200 * 1024),
        });
      case 'missing-token':
        return sendJson(res, 200, { expires: this.now() + DEFAULT_LIFETIME_SECONDS * 1000, ssl: this.ssl });
      default:
        return this.answerFailure(mode, req, res);
    }
  }

  /** The failures that look the same whatever the protocol. */
  private answerFailure(mode: FakeArcgisMode, req: http.IncomingMessage, res: http.ServerResponse): void {
    switch (mode) {
      case 'http-500':
        return sendHtml(res, 500, 'Internal Server Error');
      case 'html':
        return sendHtml(res, 200, 'Service temporarily unavailable');
      case 'reset':
        req.socket.destroy();
        return;
      case 'redirect':
        res.writeHead(302, { Location: `${this.url}/elsewhere`, 'Content-Length': '0' });
        res.end();
        return;
      default:
        return sendHtml(res, 500, `mode ${mode} is not handled`);
    }
  }

  /** What a portal or server answers a valid or invalid generateToken request with. */
  private answerGeneratedToken(params: Record<string, string>, res: http.ServerResponse): void {
    // without f=json a real portal answers its HTML form
    if (params.f !== 'json' && params.f !== 'pjson') return sendHtml(res, 200, 'Generate Token');
    if (!params.username || !params.password) return sendJson(res, 200, generateTokenError(400, 'Username and password are required.'));
    if (params.client === 'referer' && !params.referer) return sendJson(res, 200, generateTokenError(400, "'referer' must be specified."));
    if (params.client !== undefined && !['referer', 'requestip', 'ip'].includes(params.client)) {
      return sendJson(res, 200, generateTokenError(400, "Invalid 'client' parameter."));
    }
    if (this.options.users !== undefined && this.options.users[params.username] !== params.password) {
      return sendJson(res, 200, generateTokenError(400, 'Invalid username or password.'));
    }
    let lifetime = this.lifetime;
    if (params.expiration !== undefined) {
      const minutes = Number(params.expiration);
      if (!Number.isInteger(minutes) || minutes < 1) return sendJson(res, 200, generateTokenError(400, "Invalid 'expiration' parameter."));
      if (!this.lifetimeExplicit) lifetime = minutes * 60;
    }
    sendJson(res, 200, { token: this.newToken(), expires: this.now() + lifetime * 1000, ssl: this.ssl });
  }

  /** What ArcGIS answers a valid or invalid client_credentials request with. */
  private answerToken(params: Record<string, string>, res: http.ServerResponse): void {
    if (params.grant_type !== 'client_credentials') {
      return sendJson(res, 200, arcgisError(400, 'unsupported_grant_type', 'Invalid grant_type'));
    }
    if (!params.client_id) {
      return sendJson(res, 200, arcgisError(400, 'invalid_request', 'client_id not specified'));
    }
    if (this.credentials !== undefined) {
      const expected = this.credentials[params.client_id];
      if (expected === undefined) {
        return sendJson(res, 200, arcgisError(400, 'invalid_client', 'Invalid client_id'));
      }
      if (params.client_secret !== expected) {
        return sendJson(res, 200, arcgisError(400, 'invalid_client', 'Invalid client_secret'));
      }
    }
    let lifetime = this.lifetime;
    if (params.expiration !== undefined) {
      const minutes = Number(params.expiration);
      if (!Number.isInteger(minutes) || minutes < 1) {
        return sendJson(res, 200, arcgisError(400, 'invalid_request', 'Invalid expiration'));
      }
      if (!this.lifetimeExplicit) lifetime = minutes * 60;
    }
    sendJson(res, 200, { access_token: this.newToken(), expires_in: lifetime });
  }

  private newToken(): string {
    this.issued += 1;
    return `fake-${this.issued}-${randomBytes(8).toString('hex')}`;
  }
}

function protocolOf(pathname: string): Protocol | undefined {
  if (pathname === FAKE_ARCGIS_TOKEN_PATH || `${pathname}/` === FAKE_ARCGIS_TOKEN_PATH) return 'oauth';
  if (pathname === FAKE_ARCGIS_PORTAL_GENERATE_TOKEN_PATH || pathname === FAKE_ARCGIS_SERVER_GENERATE_TOKEN_PATH) return 'generateToken';
  return undefined;
}

/**
 * A rejection quoting the request back, as misbehaving upstreams do: the body as sent, with lower-case
 * hex, decoded, in upper and lower case, as JSON (once and twice), with every other character as a JSON
 * \u escape, and URL-encoded again. Both protocols read it as a rejection.
 */
function echoError(body: string): unknown {
  const params = Object.fromEntries(new URLSearchParams(body));
  const decoded = Object.entries(params)
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const unicode = [...decoded].map((c) => (/[A-Za-z0-9]/.test(c) ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)).join('');
  return {
    error: {
      code: 400,
      error: 'invalid_request',
      message: `Invalid request: ${body}`,
      details: [
        body.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
        decoded,
        decoded.toUpperCase(),
        decoded.toLowerCase(),
        JSON.stringify(params),
        JSON.stringify(JSON.stringify(params)),
        unicode,
        encodeURIComponent(decoded),
      ],
    },
  };
}

/** generateToken's error body, as a portal and a server send it (with HTTP 200). */
function generateTokenError(code: number, detail: string): unknown {
  return { error: { code, message: 'Unable to generate token.', details: [detail] } };
}

function arcgisError(code: number, error: string, description: string): unknown {
  return { error: { code, error, error_description: description, message: description, details: [] } };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  sendRaw(res, status, 'application/json', JSON.stringify(body));
}

function sendHtml(res: http.ServerResponse, status: number, title: string): void {
  const page = `<!DOCTYPE html><html><head><title>${title}</title></head><body><h1>${title}</h1><p>${FAKE_ARCGIS_HTML_MARKER}</p></body></html>`;
  sendRaw(res, status, 'text/html; charset=utf-8', page);
}

function sendRaw(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
