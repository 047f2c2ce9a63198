import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ArcgisClient, type ArcgisOutcome } from '../../src/arcgis/arcgis-client';
import { type OauthAppCredentials, oauthRequest } from '../../src/arcgis/token-protocols';
import type { TokenRequest } from '../../src/arcgis/token-request';
import { AuthUrlAllowlist, AuthUrlNotAllowedError } from '../../src/arcgis/auth-url-allowlist';
import { UpstreamError, UpstreamRejectedError, UpstreamTimeoutError } from '../../src/errors';
import { FAKE_ARCGIS_HTML_MARKER, FAKE_ARCGIS_TOKEN_PATH, type FakeArcgisMode } from '../support/fake-arcgis';
import { useFakeArcgis } from '../support/use-fake-arcgis';
import { expectNoSecretIn, expectOneFormCall, failure } from '../support/arcgis-call-checks';

const CLIENT_ID = 'app-client-id';
const SECRET = 'Zq9-s3cr3t-never-in-a-message';
const SMALL_TIMEOUT_MS = 300;

const fake = useFakeArcgis({ credentials: { [CLIENT_ID]: SECRET } });
const clients: ArcgisClient[] = [];
let outcomes: ArcgisOutcome[];
let durations: number[];

function makeClient(options: { timeoutMs?: number; allowlist?: string } = {}): ArcgisClient {
  const client = new ArcgisClient({
    timeoutMs: options.timeoutMs ?? 2000,
    allowlist: AuthUrlAllowlist.parse(options.allowlist ?? fake.url),
    onCall: (outcome, durationMs) => {
      outcomes.push(outcome);
      durations.push(durationMs);
    },
  });
  clients.push(client);
  return client;
}

function request(overrides: Partial<OauthAppCredentials> = {}): TokenRequest {
  return oauthRequest({ authURL: fake.tokenUrl, clientId: CLIENT_ID, clientSecret: SECRET, expirationMinutes: null, ...overrides });
}

const expectNoSecret = (err: Error, secret = SECRET) => expectNoSecretIn(err, secret);

beforeEach(() => {
  outcomes = [];
  durations = [];
});

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

describe('the request ArcGIS receives', () => {
  it('is a form-encoded POST to the token URL with every documented field and the secret only in the body', async () => {
    await makeClient().fetchToken(request({ expirationMinutes: 60 }));

    expectOneFormCall(
      fake.calls,
      FAKE_ARCGIS_TOKEN_PATH,
      { client_id: CLIENT_ID, client_secret: SECRET, grant_type: 'client_credentials', expiration: '60', f: 'json' },
      SECRET,
    );
  });

  it('leaves out expiration when no lifetime is requested, so ArcGIS chooses', async () => {
    await makeClient().fetchToken(request({ expirationMinutes: null }));

    expect(fake.calls[0].params).toEqual({
      client_id: CLIENT_ID,
      client_secret: SECRET,
      grant_type: 'client_credentials',
      f: 'json',
    });
  });
});

describe('when ArcGIS hands out a token', () => {
  it('returns the access token and its lifetime in seconds, and reports one ok call', async () => {
    const token = await makeClient().fetchToken(request());

    expect(token.accessToken).toMatch(/^fake-\d+-[0-9a-f]+$/);
    expect(token.expiresInSeconds).toBe(7200);
    expect(outcomes).toEqual(['ok']);
    expect(durations).toHaveLength(1);
    expect(Number.isFinite(durations[0]) && durations[0] >= 0).toBe(true);
  });

  it('returns the lifetime ArcGIS granted for the requested expiration', async () => {
    const token = await makeClient().fetchToken(request({ expirationMinutes: 30 }));

    expect(token.expiresInSeconds).toBe(1800);
  });

  it('returns a fresh token on every call over a reused connection', async () => {
    const client = makeClient();
    const first = await client.fetchToken(request());
    const second = await client.fetchToken(request());

    expect(second.accessToken).not.toBe(first.accessToken);
    expect(fake.calls).toHaveLength(2);
  });

  it('waits for a slow ArcGIS that answers within the timeout', async () => {
    fake.mode = 'slow';
    fake.delayMs = 100;

    await expect(makeClient({ timeoutMs: 2000 }).fetchToken(request())).resolves.toMatchObject({
      expiresInSeconds: 7200,
    });
  });
});

describe('when ArcGIS refuses the credentials', () => {
  it("when ArcGIS answers HTTP 200 with an error body, the client throws a rejection carrying ArcGIS's message", async () => {
    fake.mode = 'reject';

    const err = await failure(makeClient().fetchToken(request()));

    expect(err).toBeInstanceOf(UpstreamRejectedError);
    expect((err as UpstreamRejectedError).arcgisMessage).toBe('Invalid client_secret');
    expect(err.message).toContain('Invalid client_secret');
    expectNoSecret(err);
  });

  it.each<[string, Partial<OauthAppCredentials>, string]>([
    ['a wrong secret', { clientSecret: 'not-the-secret' }, 'Invalid client_secret'],
    ['an unknown client id', { clientId: 'someone-else' }, 'Invalid client_id'],
  ])("with %s, the client throws ArcGIS's own words as a rejection", async (_what, overrides, message) => {
    const err = await failure(makeClient().fetchToken(request(overrides)));

    expect(err).toBeInstanceOf(UpstreamRejectedError);
    expect((err as UpstreamRejectedError).arcgisMessage).toBe(message);
    expectNoSecret(err, overrides.clientSecret ?? SECRET);
  });

  it("redacts the secret if ArcGIS's message happens to contain it", async () => {
    fake.mode = 'reject';

    // ArcGIS answers "Invalid client_secret"; with the secret "Invalid" its message contains it.
    const err = await failure(makeClient().fetchToken(request({ clientSecret: 'Invalid' })));

    expect((err as UpstreamRejectedError).arcgisMessage).toBe('[redacted] client_secret');
    expect(err.message).not.toContain('Invalid');
  });

  it('does not retry a rejection and reports it as rejected', async () => {
    fake.mode = 'reject';

    await failure(makeClient().fetchToken(request()));

    expect(fake.calls).toHaveLength(1);
    expect(outcomes).toEqual(['rejected']);
  });
});

describe('when ArcGIS fails', () => {
  it.each<[FakeArcgisMode, RegExp, number]>([
    ['error-200-500', /ArcGIS answered with an error \(code 500\): Unable to generate token/, 1],
    ['html', /answered HTTP 200 with a non-JSON \(HTML\) body/, 1],
    ['bad-json', /answered HTTP 200 with a non-JSON body/, 1],
    ['http-500', /answered HTTP 500 with a non-JSON \(HTML\) body/, 2],
    ['huge', /larger than 64 KiB/, 1],
    ['missing-token', /without an access_token/, 1],
    ['reset', /Could not reach ArcGIS at http:\/\/127\.0\.0\.1:\d+ \(ECONNRESET\)/, 2],
  ])('in mode %s, the client throws a bad-gateway error (%s) after %i call(s)', async (mode, message, calls) => {
    fake.mode = mode;

    const err = await failure(makeClient().fetchToken(request()));

    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain(FAKE_ARCGIS_HTML_MARKER);
    expect(err.message).not.toContain('fake-');
    expectNoSecret(err);
    expect(fake.calls).toHaveLength(calls);
    expect(outcomes).toEqual(Array(calls).fill('error'));
  });

  it('when ArcGIS redirects, the client refuses without following and the other URL is never called', async () => {
    fake.mode = 'redirect';

    const err = await failure(makeClient().fetchToken(request()));

    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.message).toBe('ArcGIS answered with a redirect (HTTP 302); redirects are not followed');
    expect(fake.calls.map((call) => call.path)).toEqual([FAKE_ARCGIS_TOKEN_PATH]);
  });

  it('when nothing listens at the token URL, the client names ECONNREFUSED after one retry', async () => {
    const port = await closedPort();
    const authURL = `http://127.0.0.1:${port}/sharing/rest/oauth2/token/`;

    const err = await failure(makeClient({ allowlist: `http://127.0.0.1:${port}` }).fetchToken(request({ authURL })));

    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.message).toContain('ECONNREFUSED');
    expectNoSecret(err);
    expect(outcomes).toEqual(['error', 'error']);
  });
});

describe('when ArcGIS does not answer in time', () => {
  it.each<[FakeArcgisMode, number]>([
    ['hang', 0],
    ['slow', SMALL_TIMEOUT_MS * 3],
  ])('in mode %s, the client gives up after timeoutMs with a timeout and does not retry', async (mode, delay) => {
    fake.mode = mode;
    fake.delayMs = delay;
    const started = Date.now();

    const err = await failure(makeClient({ timeoutMs: SMALL_TIMEOUT_MS }).fetchToken(request()));

    expect(err).toBeInstanceOf(UpstreamTimeoutError);
    expect(err.message).toBe(`ArcGIS did not answer within ${SMALL_TIMEOUT_MS} ms`);
    expectNoSecret(err);
    expect(Date.now() - started).toBeLessThan(SMALL_TIMEOUT_MS * 3);
    expect(fake.calls).toHaveLength(1);
    expect(outcomes).toEqual(['timeout']);
  });

  it('when ArcGIS sends headers and then trickles the body, the client still gives up after timeoutMs', async () => {
    // Each byte resets the socket's idle timer, so only a wall-clock deadline can end this call.
    const trickle = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{');
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => trickle.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(trickle.address() as AddressInfo).port}`;
    try {
      const client = makeClient({ timeoutMs: SMALL_TIMEOUT_MS, allowlist: origin });
      const started = Date.now();

      const err = await failure(client.fetchToken(request({ authURL: `${origin}${FAKE_ARCGIS_TOKEN_PATH}` })));

      expect(err).toBeInstanceOf(UpstreamTimeoutError);
      expect(Date.now() - started).toBeLessThan(SMALL_TIMEOUT_MS * 3);
      expect(outcomes).toEqual(['timeout']);
    } finally {
      trickle.closeAllConnections();
      await new Promise<void>((resolve) => trickle.close(() => resolve()));
    }
  });
});

describe('retries', () => {
  it.each<FakeArcgisMode>(['reset', 'http-500'])('after a single %s, the client retries once and returns the token', async (mode) => {
    fake.failNext(mode);

    const token = await makeClient().fetchToken(request());

    expect(token.accessToken).toMatch(/^fake-/);
    expect(fake.calls).toHaveLength(2);
    expect(outcomes).toEqual(['error', 'ok']);
  });

  it.each<FakeArcgisMode>(['error-200-500', 'html', 'missing-token', 'redirect'])('after %s, the client does not retry', async (mode) => {
    fake.failNext(mode);

    await failure(makeClient().fetchToken(request()));

    expect(fake.calls).toHaveLength(1);
  });
});

describe('the allowlist', () => {
  it.each([
    ['a host that is not listed', 'https://evil.example/sharing/rest/oauth2/token/'],
    ['plain http to ArcGIS Online', 'http://www.arcgis.com/sharing/rest/oauth2/token/'],
    ['user info in front of an allowed host', 'http://user:pw@127.0.0.1:PORT/sharing/rest/oauth2/token/'],
    ['text that is not a URL', 'not a url'],
  ])('refuses %s before any call, with its own upstream error (a write checks the allowlist first)', async (_what, url) => {
    const authURL = url.replace('PORT', new URL(fake.url).port);

    const err = await failure(makeClient().fetchToken(request({ authURL })));

    expect(err).toBeInstanceOf(AuthUrlNotAllowedError);
    expect(err).toMatchObject({ status: 502, code: 'BadGateway' });
    expect(err.message).toMatch(/^authURL .* is not in AUTH_URL_ALLOWLIST \(http:\/\/127\.0\.0\.1:\d+\)$/);
    expect(err.message).not.toContain('user:pw');
    expectNoSecret(err);
    expect(fake.calls).toHaveLength(0);
    expect(outcomes).toEqual([]);
  });
});

/** A port on which nothing listens: bind one, then let it go. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
