import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ArcgisClient, type ArcgisOutcome } from '../../src/arcgis/arcgis-client';
import { generateTokenRequest, type NamedUserCredentials } from '../../src/arcgis/token-protocols';
import type { TokenRequest } from '../../src/arcgis/token-request';
import { AuthUrlAllowlist, AuthUrlNotAllowedError } from '../../src/arcgis/auth-url-allowlist';
import { UpstreamError, UpstreamRejectedError, UpstreamTimeoutError } from '../../src/errors';
import {
  FAKE_ARCGIS_HTML_MARKER,
  FAKE_ARCGIS_PORTAL_GENERATE_TOKEN_PATH,
  FAKE_ARCGIS_SERVER_GENERATE_TOKEN_PATH,
  type FakeArcgisMode,
} from '../support/fake-arcgis';
import { useFakeArcgis } from '../support/use-fake-arcgis';
import { expectNoSecretIn, expectOneFormCall, failure } from '../support/arcgis-call-checks';

const USERNAME = 'indoors_viewer';
const PASSWORD = 'Pw-9f3c!never-in-a-message';
const NOW = Date.parse('2026-01-15T10:00:00.000Z');
const SMALL_TIMEOUT_MS = 300;

const fake = useFakeArcgis({ users: { [USERNAME]: PASSWORD } });
const clients: ArcgisClient[] = [];
let outcomes: ArcgisOutcome[];

function makeClient(options: { timeoutMs?: number; allowlist?: string; now?: number } = {}): ArcgisClient {
  const client = new ArcgisClient({
    timeoutMs: options.timeoutMs ?? 2000,
    allowlist: AuthUrlAllowlist.parse(options.allowlist ?? fake.url),
    now: () => options.now ?? NOW,
    onCall: (outcome) => outcomes.push(outcome),
  });
  clients.push(client);
  return client;
}

function credentials(overrides: Partial<NamedUserCredentials> = {}): TokenRequest {
  return generateTokenRequest({
    authURL: fake.portalTokenUrl,
    username: USERNAME,
    password: PASSWORD,
    referer: null,
    expirationMinutes: null,
    ...overrides,
  });
}

const expectNoPassword = (err: Error, password = PASSWORD) => expectNoSecretIn(err, password);

/** A server that answers every request with `body` (JSON), for answers the stand-in never gives. */
async function withAnswer(body: unknown, run: (authURL: string, origin: string) => Promise<void>): Promise<void> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const text = JSON.stringify(body);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await run(`${origin}${FAKE_ARCGIS_SERVER_GENERATE_TOKEN_PATH}`, origin);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

beforeEach(() => {
  fake.now = () => NOW;
  outcomes = [];
});
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

describe('the generateToken request ArcGIS receives', () => {
  it('for a portal with a referer: a form POST with username, password, client=referer, referer, expiration and f=json, nothing in the URL', async () => {
    await makeClient().fetchToken(credentials({ referer: 'https://maps.example.com', expirationMinutes: 60 }));

    expectOneFormCall(
      fake.calls,
      FAKE_ARCGIS_PORTAL_GENERATE_TOKEN_PATH,
      { username: USERNAME, password: PASSWORD, client: 'referer', referer: 'https://maps.example.com', expiration: '60', f: 'json' },
      PASSWORD,
    );
  });

  it('for a standalone ArcGIS Server without a referer: client=requestip, no referer, and no expiration when none is asked', async () => {
    await makeClient().fetchToken(credentials({ authURL: fake.serverTokenUrl }));

    const [call] = fake.calls;
    expect(call.path).toBe(FAKE_ARCGIS_SERVER_GENERATE_TOKEN_PATH);
    expect(call.params).toEqual({ username: USERNAME, password: PASSWORD, client: 'requestip', f: 'json' });
    expect(call.query).toBe('');
  });

  it('for a standalone ArcGIS Server with a referer and an expiration', async () => {
    await makeClient().fetchToken(
      credentials({ authURL: fake.serverTokenUrl, referer: 'https://maps.example.com/floors/', expirationMinutes: 15 }),
    );

    expect(fake.calls[0].params).toEqual({
      username: USERNAME,
      password: PASSWORD,
      client: 'referer',
      referer: 'https://maps.example.com/floors/',
      expiration: '15',
      f: 'json',
    });
  });
});

describe('the expires of a generated token (epoch milliseconds)', () => {
  it('becomes the seconds left on the service clock: 7200 for a token expiring two hours from now', async () => {
    const token = await makeClient().fetchToken(credentials());

    expect(token).toEqual({ accessToken: expect.stringMatching(/^fake-\d+-[0-9a-f]+$/), expiresInSeconds: 7200 });
    expect(outcomes).toEqual(['ok']);
  });

  it('is counted from the service clock, not taken as a lifetime: a minute later, 7140 seconds are left', async () => {
    const token = await makeClient({ now: NOW + 60_000 }).fetchToken(credentials());

    expect(token.expiresInSeconds).toBe(7140);
  });

  it("follows the requested expiration; ArcGIS's ssl flag is not kept (the answer's ssl comes from authURL)", async () => {
    fake.ssl = true;

    const token = await makeClient().fetchToken(credentials({ expirationMinutes: 30 }));

    expect(token).toEqual({ accessToken: expect.any(String), expiresInSeconds: 1800 });
  });

  it('rounds a part of a second down, so the token is never thought to live longer than ArcGIS said', async () => {
    await withAnswer({ token: 'tok', expires: NOW + 90_999, ssl: false }, async (authURL, origin) => {
      const token = await makeClient({ allowlist: origin }).fetchToken(credentials({ authURL }));
      expect(token.expiresInSeconds).toBe(90);
    });
  });

  it('is accepted up to a year ahead', async () => {
    await withAnswer({ token: 'tok', expires: NOW + 366 * 86_400_000 }, async (authURL, origin) => {
      const token = await makeClient({ allowlist: origin }).fetchToken(credentials({ authURL }));
      expect(token).toEqual({ accessToken: 'tok', expiresInSeconds: 366 * 86_400 });
    });
  });

  it('is accepted as a numeric string (as ArcGIS Server documents it)', async () => {
    await withAnswer({ token: 'tok', expires: String(NOW + 3_600_000) }, async (authURL, origin) => {
      const token = await makeClient({ allowlist: origin }).fetchToken(credentials({ authURL }));
      expect(token).toEqual({ accessToken: 'tok', expiresInSeconds: 3600 });
    });
  });

  it.each([
    ["in seconds (not the protocol's unit)", Math.floor((NOW + 7_200_000) / 1000), /expires at 1970-01-21T.*, which is not in the future/],
    ['already past', NOW - 1, /expires at 2026-01-15T09:59:59\.999Z, which is not in the future/],
    ['less than a second ahead', NOW + 999, /which is not in the future/],
    ['more than a year ahead', NOW + 366 * 86_400_000 + 1000, /more than a year ahead/],
  ])('is refused as a bad gateway when it is %s', async (_what, expires, message) => {
    await withAnswer({ token: 'tk-7q2w', expires, ssl: true }, async (authURL, origin) => {
      const err = await failure(makeClient({ allowlist: origin }).fetchToken(credentials({ authURL })));
      expect(err).toBeInstanceOf(UpstreamError);
      expect(err).not.toBeInstanceOf(UpstreamRejectedError);
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain('tk-7q2w');
    });
  });
});

describe('when the portal or server refuses the credentials', () => {
  it.each<[string, Partial<NamedUserCredentials>]>([
    ['a wrong password', { password: 'not-the-password' }],
    ['an unknown user', { username: 'someone-else' }],
  ])('with %s, the HTTP-200 error body becomes a rejection quoting message and details', async (_what, overrides) => {
    const err = await failure(makeClient().fetchToken(credentials(overrides)));

    expect(err).toBeInstanceOf(UpstreamRejectedError);
    expect((err as UpstreamRejectedError).arcgisMessage).toBe('Unable to generate token. Invalid username or password.');
    expectNoPassword(err, overrides.password ?? PASSWORD);
    expect(fake.calls).toHaveLength(1);
    expect(outcomes).toEqual(['rejected']);
  });

  it("redacts the password if ArcGIS's message happens to contain it", async () => {
    const err = await failure(makeClient().fetchToken(credentials({ password: 'Invalid' })));

    expect((err as UpstreamRejectedError).arcgisMessage).toBe('Unable to generate token. [redacted] username or password.');
  });

  it('quotes the details that are text and not the message again; without an array of details, the message alone', async () => {
    const refusal = (details: unknown) => ({ error: { code: 400, message: 'Unable to generate token.', details } });
    const details = ['', 'Invalid username or password.', 42, null, { text: 'x' }, 'Unable to generate token.', ' ', 'Locked.'];
    for (const [body, message] of [
      [refusal(details), 'Unable to generate token. Invalid username or password. Locked.'],
      [refusal('Invalid username or password.'), 'Unable to generate token.'],
      [{ error: { code: 400, message: 'Unable to generate token.' } }, 'Unable to generate token.'],
    ] as const) {
      await withAnswer(body, async (authURL, origin) => {
        const err = await failure(makeClient({ allowlist: origin }).fetchToken(credentials({ authURL })));
        expect(err).toBeInstanceOf(UpstreamRejectedError);
        expect((err as UpstreamRejectedError).arcgisMessage).toBe(message);
      });
    }
  });

  it.each([
    [498, 'Invalid token.'],
    [499, 'Token Required'],
  ])('an error body with code %i is a rejection too', async (code, message) => {
    await withAnswer({ error: { code, message, details: [] } }, async (authURL, origin) => {
      const err = await failure(makeClient({ allowlist: origin }).fetchToken(credentials({ authURL })));
      expect(err).toBeInstanceOf(UpstreamRejectedError);
      expect((err as UpstreamRejectedError).arcgisMessage).toBe(message);
    });
  });
});

describe('when the portal or server fails', () => {
  it.each<[FakeArcgisMode, RegExp, number]>([
    ['error-200-500', /^ArcGIS answered with an error \(code 500\): Unable to generate token\.$/, 1],
    ['html', /answered HTTP 200 with a non-JSON \(HTML\) body/, 1],
    ['bad-json', /answered HTTP 200 with a non-JSON body/, 1],
    ['http-500', /answered HTTP 500 with a non-JSON \(HTML\) body/, 2],
    ['huge', /larger than 64 KiB/, 1],
    ['missing-token', /^ArcGIS answered without a token and an expires date$/, 1],
    ['reset', /Could not reach ArcGIS at http:\/\/127\.0\.0\.1:\d+ \(ECONNRESET\)/, 2],
  ])('in mode %s, the client throws a bad-gateway error (%s) after %i call(s)', async (mode, message, calls) => {
    fake.mode = mode;

    const err = await failure(makeClient().fetchToken(credentials({ authURL: fake.serverTokenUrl, referer: 'https://maps.example.com' })));

    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).not.toBeInstanceOf(UpstreamRejectedError);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain(FAKE_ARCGIS_HTML_MARKER);
    expect(err.message).not.toContain('fake-');
    expectNoPassword(err);
    expect(fake.calls).toHaveLength(calls);
    expect(fake.calls.every((call) => call.path === FAKE_ARCGIS_SERVER_GENERATE_TOKEN_PATH)).toBe(true);
  });

  it('when the portal redirects, the client refuses without following, so the password goes nowhere else', async () => {
    fake.mode = 'redirect';

    const err = await failure(makeClient().fetchToken(credentials()));

    expect(err.message).toBe('ArcGIS answered with a redirect (HTTP 302); redirects are not followed');
    expect(fake.calls.map((call) => call.path)).toEqual([FAKE_ARCGIS_PORTAL_GENERATE_TOKEN_PATH]);
  });

  it('when the portal hangs, the client gives up after timeoutMs without retrying', async () => {
    fake.mode = 'hang';

    const err = await failure(makeClient({ timeoutMs: SMALL_TIMEOUT_MS }).fetchToken(credentials()));

    expect(err).toBeInstanceOf(UpstreamTimeoutError);
    expect(err.message).toBe(`ArcGIS did not answer within ${SMALL_TIMEOUT_MS} ms`);
    expect(fake.calls).toHaveLength(1);
    expect(outcomes).toEqual(['timeout']);
  });

  it('refuses a generateToken URL outside the allowlist before any call', async () => {
    const err = await failure(
      makeClient().fetchToken(credentials({ authURL: 'https://gis.example.com/portal/sharing/rest/generateToken' })),
    );

    expect(err).toBeInstanceOf(AuthUrlNotAllowedError);
    expect(err).toMatchObject({ status: 502, code: 'BadGateway' });
    expect(err.message).toMatch(/^authURL https:\/\/gis\.example\.com\/portal\/sharing\/rest\/generateToken is not in AUTH_URL_ALLOWLIST/);
    expect(fake.calls).toHaveLength(0);
  });
});
