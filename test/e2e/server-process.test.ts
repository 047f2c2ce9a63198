import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startServer } from '../support/processes';
import { TEST_ENCRYPTION_KEY, TEST_SIGNING_KEY } from '../support/harness';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

// every test starts one or two server processes: generous for a busy machine
jest.setTimeout(90_000);

const headers = (key: string) => ({ 'atr-environment-id': 'local', 'atr-subscription-key': key, 'Content-Type': 'application/json' });
const staticItem = [{ organization_ID: 1, authType: 'static', token: 'kept-across-restarts' }];
type Envelope = { result: { mapTokenID: number; token: string }[] };
const envelope = async (res: Response) => (await res.json()) as Envelope;

/** Starts a server that is expected to refuse to start; resolves with its exit code and output. */
async function startFailure(env: Record<string, string>): Promise<{ exitCode: number; output: string }> {
  try {
    const server = await startServer(env);
    await server.stop('SIGKILL');
  } catch (error) {
    return error as { exitCode: number; output: string };
  }
  throw new Error('the server started');
}

describe('npm start', () => {
  it('runs on the embedded store with no configuration, prints an admin key, a reader key and an admin client once, and says data is not kept', async () => {
    const server = await startServer({});
    try {
      const out = server.output();
      expect(out).toContain('EMBEDDED IN-MEMORY STORE');
      expect(out).toMatch(/LOST when this process stops/);
      const admin = /Admin key: +(\S+)/.exec(out)![1];
      const reader = /Reader key: +(\S+)/.exec(out)![1];
      const put = await fetch(`${server.url}/api/v1/admin/map-tokens`, {
        method: 'PUT',
        headers: headers(admin),
        body: JSON.stringify(staticItem),
      });
      expect(put.status).toBe(200);
      const id = (await envelope(put)).result[0].mapTokenID;
      const got = await fetch(`${server.url}/api/v1/admin/map-tokens/${id}`, { headers: headers(admin) });
      expect((await envelope(got)).result[0].token).toBe('kept-across-restarts');
      const read = await fetch(`${server.url}/api/v1/map-tokens/${id}/token`, { headers: headers(reader) });
      expect(read.status).toBe(200);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

      // the printed client works in the client-credentials flow, as the README's Try it shows
      const clientId = /Admin client: +(\S+)/.exec(out)![1];
      const clientSecret = /Its secret: +(\S+)/.exec(out)![1];
      const login = await fetch(`${server.url}/api/v1/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
      });
      expect(login.status).toBe(200);
      const { access_token: accessToken, scope } = (await login.json()) as { access_token: string; scope: string };
      expect(scope).toBe('admin');
      const listed = await fetch(`${server.url}/api/v1/admin/map-tokens`, {
        headers: { 'atr-environment-id': 'local', Authorization: `Bearer ${accessToken}` },
      });
      expect(listed.status).toBe(200);
      expect(((await listed.json()) as { total: number }).total).toBe(1);

      // all the output so far, after several requests: the keys and the secret were printed once, at start
      expect(server.output().match(/Admin key/g)).toHaveLength(1);
      expect(server.output().split(clientSecret)).toHaveLength(2);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
  });

  it('starts with TRUST_PROXY=true and says once, at warn level, what it lets a forged X-Forwarded-For do', async () => {
    const server = await startServer({ TRUST_PROXY: 'true' });
    try {
      const warnings = server
        .output()
        .split('\n')
        .filter((line) => line.includes('TRUST_PROXY'))
        .map((line) => JSON.parse(line) as { level: string; msg: string });
      expect(warnings).toEqual([{ ...warnings[0], level: 'warn', msg: expect.stringContaining('login rate limit') }]);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
  });

  it('checks the port before printing any key: a start on a busy port prints no key and stops with exit 1 and one line', async () => {
    const busy = createServer();
    busy.listen(0, '127.0.0.1');
    await once(busy, 'listening');
    const port = (busy.address() as AddressInfo).port;
    try {
      const failure = await startFailure({ PORT: String(port) });
      expect(failure.exitCode).toBe(1);
      expect(failure.output).not.toMatch(/key|secret|mtp_/i);
      expect(failure.output.trim().split('\n')).toEqual([
        `map-token-proxy: cannot start: PORT: 127.0.0.1:${port} is already in use by another process (stop it, or set another PORT; 0 picks a free one)`,
      ]);
    } finally {
      busy.close();
    }
  });

  it('stops with exit code 1 and one line naming the variable when the configuration is wrong', async () => {
    const failure = await startFailure({ PORT: 'eighty' });
    expect(failure.exitCode).toBe(1);
    expect(failure.output.trim().split('\n')).toEqual(['map-token-proxy: cannot start: PORT: must be a whole number, got "eighty"']);
  });

  it("stops with exit code 1 and one line naming the variable on the compose file's example ENCRYPTION_KEY", async () => {
    const failure = await startFailure({
      MYSQL_URL: 'mysql://service:kT9vQ2xZ7wLm4Rp8@127.0.0.1:1/maptokens',
      ENCRYPTION_KEY: 'UkVQTEFDRS1NRS1SRVBMQUNFLU1FLVJFUExBQ0UtTUU=',
      ACCESS_TOKEN_SIGNING_KEY: TEST_SIGNING_KEY,
    });
    expect(failure.exitCode).toBe(1);
    const lines = failure.output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^map-token-proxy: cannot start: ENCRYPTION_KEY: key 1 is the example published with/);
  });

  describe('with MYSQL_URL', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase({ migrate: false });
    });
    afterAll(() => db.drop());

    it('migrates at start, says once how to create the first admin key while none exists, and keeps data across a restart', async () => {
      const env = { MYSQL_URL: db.url, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, ACCESS_TOKEN_SIGNING_KEY: TEST_SIGNING_KEY };
      const first = await startServer(env);
      const hint = first
        .output()
        .split('\n')
        .filter((line) => line.includes('no key or client exists yet'));
      expect(hint).toHaveLength(1);
      expect(JSON.parse(hint[0])).toMatchObject({
        level: 'warn',
        command: 'npm run -s cli -- keys create --environment <atr-environment-id> --role admin',
      });
      expect(first.output()).not.toMatch(/Admin key|mtp_[A-Za-z0-9_-]{20}/);
      // a key made the way an operator would: through the store the server uses
      const { createHarness } = await import('../support/harness');
      const h = createHarness({ mysqlUrl: db.url });
      const admin = await h.key('local', 'admin');
      await h.close();
      let id: number;
      try {
        const put = await fetch(`${first.url}/api/v1/admin/map-tokens`, {
          method: 'PUT',
          headers: headers(admin),
          body: JSON.stringify(staticItem),
        });
        expect(put.status).toBe(200);
        id = (await envelope(put)).result[0].mapTokenID;
      } finally {
        expect(await first.stop()).toBe(0);
      }
      const second = await startServer(env);
      try {
        const got = await fetch(`${second.url}/api/v1/admin/map-tokens/${id}`, { headers: headers(admin) });
        expect(got.status).toBe(200);
        expect((await envelope(got)).result[0].token).toBe('kept-across-restarts');
        expect(second.output()).not.toContain('EMBEDDED');
        // a key exists now: no hint
        expect(second.output()).not.toContain('no key or client exists yet');
      } finally {
        await second.stop();
      }
    });

    it('refuses to start, in one line, when MySQL does not answer', async () => {
      const failure = await startFailure({
        MYSQL_URL: 'mysql://root@127.0.0.1:1/none',
        ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        ACCESS_TOKEN_SIGNING_KEY: TEST_SIGNING_KEY,
      });
      expect(failure.exitCode).toBe(1);
      expect(failure.output.trim().split('\n')).toEqual([
        expect.stringMatching(/^map-token-proxy: cannot start: MYSQL_URL: the database does not answer/),
      ]);
    });
  });
});
