import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { ArcgisClient, type ArcgisOutcome } from '../../src/arcgis/arcgis-client';
import { type OauthAppCredentials, oauthRequest } from '../../src/arcgis/token-protocols';
import type { TokenRequest } from '../../src/arcgis/token-request';
import { AuthUrlAllowlist } from '../../src/arcgis/auth-url-allowlist';
import { AuthUrlNotAllowedError } from '../../src/arcgis/auth-url-allowlist';
import { UpstreamError, UpstreamRejectedError } from '../../src/errors';
import { expectNoSecretIn, failure as failed } from '../support/arcgis-call-checks';

/**
 * The edges of the ArcGIS token protocol, against a real local HTTP server whose every answer a test
 * scripts: each side of the status boundaries, every branch of the error classification, the token
 * fields, the size limit, the messages made of ArcGIS's words, and the connection handling.
 */
const SECRET = 'Qx7-edge-secret-never-shown';
const TOKEN_PATH = '/sharing/rest/oauth2/token/';

interface Seen {
  headers: http.IncomingHttpHeaders;
  body: string;
  url: string;
}

type Answer = { status: number; body: string; contentType?: string };

class ScriptedArcgis {
  answers: Answer[] = [];
  fallback: Answer = tokenAnswer();
  seen: Seen[] = [];
  connections = 0;
  closedConnections = 0;
  private server?: http.Server;
  // Connections of earlier tests may close late; only this test's own are counted.
  private generation = 0;

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        this.seen.push({ headers: req.headers, body, url: req.url ?? '' });
        const answer = this.answers.shift() ?? this.fallback;
        res.writeHead(answer.status, { 'Content-Type': answer.contentType ?? 'application/json' });
        res.end(answer.body);
      });
    });
    server.on('connection', (socket) => {
      this.connections += 1;
      const generation = this.generation;
      socket.on('close', () => {
        if (generation === this.generation) this.closedConnections += 1;
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  reset(): void {
    this.answers = [];
    this.fallback = tokenAnswer();
    this.seen = [];
    this.connections = 0;
    this.closedConnections = 0;
    this.generation += 1;
  }

  async stop(): Promise<void> {
    this.server!.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

function json(status: number, body: unknown, contentType?: string): Answer {
  return { status, body: JSON.stringify(body), contentType };
}

function tokenAnswer(status = 200, expiresIn: unknown = 3600): Answer {
  return json(status, { access_token: 'edge-token', expires_in: expiresIn });
}

function errorAnswer(error: Record<string, unknown>, status = 200): Answer {
  return json(status, { error });
}

const arcgis = new ScriptedArcgis();
const clients: ArcgisClient[] = [];
let outcomes: ArcgisOutcome[];
let durations: number[];

function makeClient(options: { maxBodyBytes?: number; onCall?: (o: ArcgisOutcome, d: number) => void } = {}): ArcgisClient {
  const client = new ArcgisClient({
    timeoutMs: 5000,
    allowlist: AuthUrlAllowlist.parse(arcgis.origin),
    maxBodyBytes: options.maxBodyBytes,
    onCall:
      options.onCall ??
      ((outcome, durationMs) => {
        outcomes.push(outcome);
        durations.push(durationMs);
      }),
  });
  clients.push(client);
  return client;
}

function request(overrides: Partial<OauthAppCredentials> = {}): TokenRequest {
  return oauthRequest({
    authURL: `${arcgis.origin}${TOKEN_PATH}`,
    clientId: 'edge-client',
    clientSecret: SECRET,
    expirationMinutes: null,
    ...overrides,
  });
}

/** The call fails, and the secret is nowhere in what it threw. */
async function failure(promise: Promise<unknown>): Promise<Error> {
  const err = await failed(promise);
  expectNoSecretIn(err, SECRET);
  return err;
}

beforeAll(async () => {
  await arcgis.start();
});

afterAll(async () => {
  await arcgis.stop();
});

beforeEach(() => {
  arcgis.reset();
  outcomes = [];
  durations = [];
});

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

describe('the HTTP status of an answer that carries a token', () => {
  it.each([200, 201, 299])('HTTP %i: the token is taken', async (status) => {
    arcgis.fallback = tokenAnswer(status);

    await expect(makeClient().fetchToken(request())).resolves.toEqual({ accessToken: 'edge-token', expiresInSeconds: 3600 });
    expect(outcomes).toEqual(['ok']);
  });

  it.each([300, 301, 399])('HTTP %i: refused as a redirect, not followed, not retried', async (status) => {
    arcgis.fallback = tokenAnswer(status);

    const err = await failure(makeClient().fetchToken(request()));

    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.message).toBe(`ArcGIS answered with a redirect (HTTP ${status}); redirects are not followed`);
    expect(arcgis.seen).toHaveLength(1);
    expect(outcomes).toEqual(['error']);
  });

  it.each([400, 404, 499])('HTTP %i: refused as an answer without a token, not retried', async (status) => {
    arcgis.fallback = tokenAnswer(status);

    const err = await failure(makeClient().fetchToken(request()));

    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).not.toBeInstanceOf(UpstreamRejectedError);
    expect(err.message).toBe(`ArcGIS answered HTTP ${status} without a token`);
    expect(arcgis.seen).toHaveLength(1);
  });

  it.each([500, 503])('HTTP %i: refused as a server fault and retried once', async (status) => {
    arcgis.fallback = tokenAnswer(status);

    const err = await failure(makeClient().fetchToken(request()));

    expect(err.message).toBe(`ArcGIS answered HTTP ${status}`);
    expect(arcgis.seen).toHaveLength(2);
    expect(outcomes).toEqual(['error', 'error']);
  });

  it('HTTP 500 once, then a token: the retry returns the token', async () => {
    arcgis.answers = [tokenAnswer(500)];

    await expect(makeClient().fetchToken(request())).resolves.toMatchObject({ accessToken: 'edge-token' });
    expect(outcomes).toEqual(['error', 'ok']);
  });

  it('HTTP 204 (no body at all): refused as a non-JSON answer', async () => {
    arcgis.fallback = { status: 204, body: '' };

    const err = await failure(makeClient().fetchToken(request()));

    expect(err.message).toBe('The ArcGIS token URL answered HTTP 204 with a non-JSON body');
    expect(arcgis.seen).toHaveLength(1);
  });
});

describe('the token fields', () => {
  it.each<[unknown, number]>([
    [1, 1],
    [0.5, 0.5],
    [7200, 7200],
    ['3600', 3600],
    ['90.25', 90.25],
    [366 * 86_400, 366 * 86_400],
  ])('expires_in %j is a lifetime of %d seconds', async (expiresIn, seconds) => {
    arcgis.fallback = tokenAnswer(200, expiresIn);

    await expect(makeClient().fetchToken(request())).resolves.toEqual({ accessToken: 'edge-token', expiresInSeconds: seconds });
  });

  it.each<[string, unknown]>([
    ['expires_in 0', { access_token: 't', expires_in: 0 }],
    ['expires_in "0"', { access_token: 't', expires_in: '0' }],
    ['a negative expires_in', { access_token: 't', expires_in: -1 }],
    ['expires_in over a year', { access_token: 't', expires_in: 366 * 86_400 + 1 }],
    ['expires_in of 1e20 (no date can hold it)', { access_token: 't', expires_in: 1e20 }],
    ['a negative expires_in as text', { access_token: 't', expires_in: '-60' }],
    ['expires_in in exponent notation', { access_token: 't', expires_in: '1e3' }],
    ['expires_in with a unit', { access_token: 't', expires_in: '60s' }],
    ['expires_in with a space', { access_token: 't', expires_in: ' 60' }],
    ['an empty expires_in', { access_token: 't', expires_in: '' }],
    ['expires_in null', { access_token: 't', expires_in: null }],
    ['expires_in true', { access_token: 't', expires_in: true }],
    ['no expires_in', { access_token: 't' }],
    ['an empty access_token', { access_token: '', expires_in: 60 }],
    ['a numeric access_token', { access_token: 42, expires_in: 60 }],
    ['no access_token', { expires_in: 60 }],
    ['a JSON array', [{ access_token: 't', expires_in: 60 }]],
    ['a JSON string', 'token'],
    ['JSON null', null],
    ['an error that is only a string', { error: 'invalid_client' }],
    ['an error that is an array', { error: ['invalid_client'] }],
  ])('%s: refused, not retried', async (_what, body) => {
    arcgis.fallback = json(200, body);

    const err = await failure(makeClient().fetchToken(request()));

    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.message).toBe('ArcGIS answered without an access_token and a positive expires_in');
    expect(arcgis.seen).toHaveLength(1);
    expect(outcomes).toEqual(['error']);
  });
});

describe('error bodies', () => {
  it.each([400, 401, 403, 498, 499, '498'])('code %j without an OAuth error name is a rejection, not retried', async (code) => {
    arcgis.fallback = errorAnswer({ code, message: 'Invalid token.' });

    const err = await failure(makeClient().fetchToken(request()));

    expect(err).toBeInstanceOf(UpstreamRejectedError);
    expect((err as UpstreamRejectedError).arcgisMessage).toBe('Invalid token.');
    expect(err.message).toBe('ArcGIS rejected the stored credentials: Invalid token.');
    expect(arcgis.seen).toHaveLength(1);
    expect(outcomes).toEqual(['rejected']);
  });

  it.each(['invalid_request', 'invalid_client', 'unauthorized_client', 'invalid_grant', 'invalid_scope', 'unsupported_grant_type'])(
    'the OAuth error name %s is a rejection whatever the code',
    async (name) => {
      arcgis.fallback = errorAnswer({ code: 500, error: name, error_description: 'Nope' });

      const err = await failure(makeClient().fetchToken(request()));

      expect(err).toBeInstanceOf(UpstreamRejectedError);
      expect(outcomes).toEqual(['rejected']);
    },
  );

  it.each([402, 404, 500, 502])('code %i without an OAuth error name is an upstream error, not retried at HTTP 200', async (code) => {
    arcgis.fallback = errorAnswer({ code, error: 'server_error', message: 'Something broke' });

    const err = await failure(makeClient().fetchToken(request()));

    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).not.toBeInstanceOf(UpstreamRejectedError);
    expect(err.message).toBe(`ArcGIS answered with an error (code ${code}): Something broke`);
    expect(arcgis.seen).toHaveLength(1);
    expect(outcomes).toEqual(['error']);
  });

  it('an error without a code says so and names no code', async () => {
    arcgis.fallback = errorAnswer({ message: 'Something broke' });

    const err = await failure(makeClient().fetchToken(request()));

    expect(err.message).toBe('ArcGIS answered with an error: Something broke');
  });

  it('an error body at HTTP 5xx is retried once; a rejection at HTTP 401 is not', async () => {
    arcgis.fallback = errorAnswer({ code: 500, message: 'Down' }, 503);
    await failure(makeClient().fetchToken(request()));
    expect(arcgis.seen).toHaveLength(2);

    arcgis.reset();
    arcgis.fallback = errorAnswer({ code: 401, message: 'No' }, 401);
    const err = await failure(makeClient().fetchToken(request()));
    expect(err).toBeInstanceOf(UpstreamRejectedError);
    expect(arcgis.seen).toHaveLength(1);
  });
});

describe("ArcGIS's words in a message", () => {
  async function rejectionMessage(error: Record<string, unknown>, clientSecret = SECRET): Promise<string> {
    arcgis.fallback = errorAnswer({ code: 400, ...error });
    const err = await failure(makeClient().fetchToken(request({ clientSecret })));
    expect(err).toBeInstanceOf(UpstreamRejectedError);
    return (err as UpstreamRejectedError).arcgisMessage;
  }

  it('prefers error_description, then message, then the error name, skipping blank ones', async () => {
    expect(await rejectionMessage({ error_description: 'A', message: 'B', error: 'invalid_client' })).toBe('A');
    expect(await rejectionMessage({ error_description: ' \t', message: 'B', error: 'invalid_client' })).toBe('B');
    expect(await rejectionMessage({ error_description: 7, message: '', error: 'invalid_client' })).toBe('invalid_client');
  });

  it('says "ArcGIS error <code>" when ArcGIS gives no words, and "without a code" when not even a code', async () => {
    expect(await rejectionMessage({})).toBe('ArcGIS error 400');
    arcgis.fallback = errorAnswer({ details: [] });
    const err = await failure(makeClient().fetchToken(request()));
    expect(err.message).toBe('ArcGIS answered with an error: ArcGIS error without a code');
  });

  it('turns control characters into single spaces and trims the ends', async () => {
    expect(await rejectionMessage({ message: '\n Invalid\r\n\tclient\u0000\u007fsecret \u001f' })).toBe('Invalid client secret');
  });

  it('keeps 300 characters whole and cuts the 301st', async () => {
    expect(await rejectionMessage({ message: 'a'.repeat(300) })).toBe('a'.repeat(300));
    expect(await rejectionMessage({ message: 'b'.repeat(301) })).toBe('b'.repeat(300));
  });

  it('redacts the secret before cutting, so no piece of it survives the cut', async () => {
    const message = await rejectionMessage({ message: `${'x'.repeat(290)}${SECRET} and more` });

    expect(message).toBe(`${'x'.repeat(290)}[redacted]`);
    expect(message).not.toContain(SECRET.slice(0, 5));
  });

  it('redacts a secret with a space that ArcGIS echoes with a tab or a line break in its place', async () => {
    const spaced = 'Tr0ub4dor &3 x y';
    for (const echo of ['Tr0ub4dor\t&3 x\ny', 'Tr0ub4dor\r\n&3\tx\u0000y']) {
      const message = await rejectionMessage({ message: `Invalid password ${echo} given` }, spaced);

      expect(message).toBe('Invalid password [redacted] given');
    }
  });

  it('redacts a secret whose white space an echo changed: doubled, or other space and separator characters', async () => {
    const doubled = 'Tr0ub4dor  &3';
    for (const echo of ['Tr0ub4dor\t\t&3', 'Tr0ub4dor\r\n&3', 'Tr0ub4dor &3', 'Tr0ub4dor\u2028&3', 'Tr0ub4dor\u00a0\u0085&3']) {
      expect(await rejectionMessage({ message: `bad ${echo} here` }, doubled)).toBe('bad [redacted] here');
    }
    for (const echo of ['Tr0ub4dor\u2029&3', 'Tr0ub4dor\u3000&3', 'Tr0ub4dor\u0085&3']) {
      expect(await rejectionMessage({ message: `bad ${echo} here` }, 'Tr0ub4dor &3')).toBe('bad [redacted] here');
    }
  });

  it('makes line and paragraph separators and C1 controls one space too', async () => {
    expect(await rejectionMessage({ message: 'Invalid\u2028client\u0085\u2029secret\u00a0 x' })).toBe('Invalid client secret x');
  });

  it('redacts a secret that holds a control character, as sent and once made one line', async () => {
    const tabbed = 'Tr0ub4dor\t&3';
    expect(await rejectionMessage({ message: `bad ${tabbed} here` }, tabbed)).toBe('bad [redacted] here');
    expect(await rejectionMessage({ message: 'bad Tr0ub4dor &3 here' }, tabbed)).toBe('bad [redacted] here');
  });

  it('redacts a JSON-escaped echo of such a secret before making one line, which would change it past recognition', async () => {
    // the tab is written \\t, which the one line keeps; the no-break space beside it becomes a plain one
    const secret = 'Tr0ub4dor\t\u00a0&3';
    const echo = JSON.stringify(secret).slice(1, -1);
    expect(await rejectionMessage({ message: `bad ${echo} here` }, secret)).toBe('bad [redacted] here');
  });

  it('redacts every occurrence of the secret, and nothing when the secret is empty', async () => {
    expect(await rejectionMessage({ message: `${SECRET} / ${SECRET}` })).toBe('[redacted] / [redacted]');
    expect(await rejectionMessage({ message: 'Invalid client_secret' }, '')).toBe('Invalid client_secret');
  });
});

describe('non-JSON answers', () => {
  it.each<[string, Answer, string]>([
    ['plain text', { status: 200, body: 'Service unavailable', contentType: 'text/plain' }, 'a non-JSON body'],
    ['an HTML content type', { status: 200, body: 'Service unavailable', contentType: 'text/html' }, 'a non-JSON (HTML) body'],
    ['text with a "<" inside', { status: 200, body: 'a < b', contentType: 'text/plain' }, 'a non-JSON body'],
    ['markup sent as text', { status: 200, body: ' \n<p>Service unavailable</p>', contentType: 'text/plain' }, 'a non-JSON (HTML) body'],
    ['truncated JSON', { status: 200, body: '{"access_token":"t', contentType: 'application/json' }, 'a non-JSON body'],
  ])('%s: refused without quoting the body', async (_what, answer, kind) => {
    arcgis.fallback = answer;

    const err = await failure(makeClient().fetchToken(request()));

    expect(err.message).toBe(`The ArcGIS token URL answered HTTP 200 with ${kind}`);
    expect(err.message).not.toContain('unavailable');
    expect(arcgis.seen).toHaveLength(1);
  });

  it('an HTML error page at HTTP 502 is retried once', async () => {
    arcgis.fallback = { status: 502, body: '<html>Bad gateway</html>', contentType: 'text/html' };

    const err = await failure(makeClient().fetchToken(request()));

    expect(err.message).toBe('The ArcGIS token URL answered HTTP 502 with a non-JSON (HTML) body');
    expect(arcgis.seen).toHaveLength(2);
  });
});

describe('the size limit', () => {
  /** A token answer of exactly `bytes` bytes. */
  function tokenOfSize(bytes: number): Answer {
    const base = JSON.stringify({ access_token: 'edge-token', expires_in: 60, pad: '' });
    return { status: 200, body: JSON.stringify({ access_token: 'edge-token', expires_in: 60, pad: 'p'.repeat(bytes - base.length) }) };
  }

  it.each<[number | undefined, number, string]>([
    [undefined, 64 * 1024, '64 KiB'],
    [1000, 1000, '1000 bytes'],
    [2048, 2048, '2 KiB'],
  ])('with a limit of %s, an answer of exactly %i bytes is read and one byte more is refused (%s)', async (limit, bytes, shown) => {
    arcgis.fallback = tokenOfSize(bytes);
    await expect(makeClient({ maxBodyBytes: limit }).fetchToken(request())).resolves.toMatchObject({ accessToken: 'edge-token' });

    arcgis.fallback = tokenOfSize(bytes + 1);
    const err = await failure(makeClient({ maxBodyBytes: limit }).fetchToken(request()));
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.message).toBe(`ArcGIS's answer was larger than ${shown}; refused`);
    expect(arcgis.seen).toHaveLength(2);
  });
});

describe('the request', () => {
  it('asks for JSON, sends a form, puts nothing in the query, and sends an expiration of 0 as given', async () => {
    await makeClient().fetchToken(request({ expirationMinutes: 0 }));

    const [seen] = arcgis.seen;
    expect(seen.headers.accept).toBe('application/json');
    expect(seen.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen.url).toBe(TOKEN_PATH);
    expect(new URLSearchParams(seen.body).get('expiration')).toBe('0');
  });

  it('reuses one kept-alive connection for calls in a row, and close() lets it go', async () => {
    const client = makeClient();
    await client.fetchToken(request());
    await client.fetchToken(request());

    expect(arcgis.connections).toBe(1);
    expect(arcgis.closedConnections).toBe(0);

    client.close();
    const deadline = Date.now() + 5000;
    while (arcgis.closedConnections < 1 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    expect(arcgis.closedConnections).toBe(1);
  });

  it('never goes through an HTTP proxy named in the environment', async () => {
    const proxied: string[] = [];
    const proxy = http.createServer((req, res) => {
      proxied.push(req.url ?? '');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'from-the-proxy', expires_in: 60 }));
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const saved = { http: process.env.HTTP_PROXY, lower: process.env.http_proxy, no: process.env.NO_PROXY, noLower: process.env.no_proxy };
    process.env.HTTP_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    process.env.http_proxy = process.env.HTTP_PROXY;
    delete process.env.NO_PROXY;
    delete process.env.no_proxy;
    try {
      await expect(makeClient().fetchToken(request())).resolves.toMatchObject({ accessToken: 'edge-token' });
      expect(proxied).toEqual([]);
    } finally {
      restore('HTTP_PROXY', saved.http);
      restore('http_proxy', saved.lower);
      restore('NO_PROXY', saved.no);
      restore('no_proxy', saved.noLower);
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it('reports each call with its duration, and a throwing metrics hook does not cost the token', async () => {
    const started = performance.now();
    await makeClient().fetchToken(request());
    const elapsed = performance.now() - started;

    expect(durations).toHaveLength(1);
    expect(durations[0]).toBeGreaterThanOrEqual(0);
    expect(durations[0]).toBeLessThanOrEqual(elapsed);

    const throwing = makeClient({
      onCall: () => {
        throw new Error('metrics are down');
      },
    });
    await expect(throwing.fetchToken(request())).resolves.toMatchObject({ accessToken: 'edge-token' });
  });
});

describe('refused before any call', () => {
  it.each([
    ['text that is not a URL', 'not a url', '(not a valid URL)'],
    ['a URL with user info and a query', 'https://user:pw@evil.example/path/?client_secret=x#frag', 'https://evil.example/path/'],
  ])('%s: the message shows only origin and path', async (_what, authURL, shown) => {
    const err = await failure(makeClient().fetchToken(request({ authURL })));

    expect(err).toBeInstanceOf(AuthUrlNotAllowedError);
    expect((err as AuthUrlNotAllowedError).status).toBe(502);
    expect(err.message).toBe(`authURL ${shown} is not in AUTH_URL_ALLOWLIST (${arcgis.origin})`);
    expect(arcgis.seen).toHaveLength(0);
  });
});

describe('connection failures', () => {
  it('an answer that is not HTTP at all is a network failure named by its code, not retried', async () => {
    const garbage = net.createServer((socket) => {
      socket.on('data', () => socket.end('NOT HTTP AT ALL\r\n\r\n'));
    });
    let calls = 0;
    garbage.on('connection', () => (calls += 1));
    await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(garbage.address() as AddressInfo).port}`;
    try {
      const client = new ArcgisClient({ timeoutMs: 5000, allowlist: AuthUrlAllowlist.parse(origin), onCall: (o) => outcomes.push(o) });
      clients.push(client);

      const err = await failure(client.fetchToken(request({ authURL: `${origin}${TOKEN_PATH}` })));

      expect(err).toBeInstanceOf(UpstreamError);
      expect(err.message).toMatch(new RegExp(`^Could not reach ArcGIS at ${origin.replace(/\./g, '\\.')} \\(HPE_[A-Z_]+\\)$`));
      const code = /\((HPE_[A-Z_]+)\)$/.exec(err.message)![1];
      expect(err.cause).toBeInstanceOf(Error);
      expect((err.cause as Error & { code: string }).code).toBe(code);
      expect((err.cause as Error).message).toBe(`ArcGIS call failed: ${code}`);
      expect(calls).toBe(1);
      expect(outcomes).toEqual(['error']);
    } finally {
      await new Promise<void>((resolve) => garbage.close(() => resolve()));
    }
  });

  it('a reset names ECONNRESET in the message and in the cause, and is retried once', async () => {
    let calls = 0;
    const resetting = net.createServer((socket) => {
      calls += 1;
      socket.on('data', () => socket.resetAndDestroy());
    });
    await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(resetting.address() as AddressInfo).port}`;
    try {
      const client = new ArcgisClient({ timeoutMs: 5000, allowlist: AuthUrlAllowlist.parse(origin) });
      clients.push(client);

      const err = await failure(client.fetchToken(request({ authURL: `${origin}${TOKEN_PATH}` })));

      expect(err.message).toBe(`Could not reach ArcGIS at ${origin} (ECONNRESET)`);
      expect((err.cause as Error & { code: string }).code).toBe('ECONNRESET');
      expect(calls).toBe(2);
    } finally {
      await new Promise<void>((resolve) => resetting.close(() => resolve()));
    }
  });
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
