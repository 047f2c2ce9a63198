import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ATRIUS_EXAMPLE_ITEM } from '../support/atrius-example';
import { useFakeArcgis } from '../support/use-fake-arcgis';
import { createHarness, type Harness } from '../support/harness';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * The Atrius documentation's own client samples, run unchanged but for host, scheme, key and the
 * authURL host (the real ArcGIS is not reachable from tests). Both send `atr-partner-id: ""` and a
 * trailing slash on the path.
 */
let db: TestDatabase;
const fake = useFakeArcgis();
let h: Harness;
let server: Server;
let base: string;
let key: string;

/** The page's example body (an update of id 1 and a create), its authURL pointed at the stand-in. */
const exampleBody = () => {
  const { token: _token, token_Expire_Date: _expiry, ...item } = ATRIUS_EXAMPLE_ITEM;
  const { mapTokenID: _id, ...created } = item;
  return JSON.stringify([item, created].map((entry) => ({ ...entry, authURL: fake.tokenUrl })));
};

function run(file: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) =>
    execFile(file, args, { timeout: 15000 }, (error, stdout, stderr) =>
      error ? reject(Object.assign(error, { stderr })) : resolve({ stdout, stderr }),
    ),
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  h = createHarness({ mysqlUrl: db.url, arcgisOrigin: fake.url });
  key = await h.key('atrdemo01us', 'admin');
  server = createServer(h.app).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // the example body updates mapTokenID 1 and creates another: make 1 exist first
  await h.services.mapTokens.put(
    { kind: 'key', id: 'setup', environment: 'atrdemo01us', role: 'admin', organizationId: null },
    { environment: 'atrdemo01us', requestId: 'setup', actor: 'setup', partnerId: null },
    [{ organization_ID: 1, authType: 'static', token: 'placeholder' }],
  );
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await h.close();
  await db.drop();
});

it('the curl sample of the Atrius page stores both items and answers the envelope', async () => {
  const { stdout } = await run('curl', [
    '-s',
    '-X',
    'PUT',
    `${base}/api/v1/admin/map-tokens/`,
    '-H',
    'atr-environment-id: atrdemo01us',
    '-H',
    'atr-partner-id: ',
    '-H',
    'atr-request-source: ',
    '-H',
    'Content-Type: application/json',
    '-H',
    `atr-subscription-key: ${key}`,
    '--data-ascii',
    exampleBody(),
  ]);
  const body = JSON.parse(stdout);
  expect(body).toMatchObject({ count: 2, limit: null, offset: null });
  expect(body.result.map((r: { mapTokenID: number }) => r.mapTokenID)).toEqual([1, 2]);
  expect(body.result[0]).toMatchObject({ authType: 'agol', authKey: 'f2f591dcea8345ac8e9af5c9e3757618', authTimeout: 60 });
  expect(body.result[0].token).toMatch(/^fake-/);
  expect(stdout).not.toContain('cb3793c4272243fdaab1169d2228e442');
});

it('the Python 3 http.client sample of the Atrius page works as written', async () => {
  const { port } = new URL(base);
  const script = `
import http.client, urllib.request, urllib.parse, urllib.error, base64, sys

headers = {
    # Request headers
    'atr-environment-id': 'atrdemo01us',
    'atr-partner-id': '',
    'atr-request-source': '',
    'Content-Type': 'application/json',
    'atr-subscription-key': '${key}',
}

params = urllib.parse.urlencode({
})

try:
    conn = http.client.HTTPConnection('127.0.0.1', ${port})
    conn.request("PUT", "/api/v1/admin/map-tokens/?%s" % params, sys.argv[1], headers)
    response = conn.getresponse()
    data = response.read()
    print(response.status)
    print(data.decode())
    conn.close()
except Exception as e:
    print("[Errno {0}] {1}".format(e.errno, e.strerror))
`;
  const { stdout } = await run('python3', ['-c', script, exampleBody()]);
  const [status, json] = stdout.split('\n');
  expect(status).toBe('200');
  const body = JSON.parse(json);
  expect(body.count).toBe(2);
  expect(body.result[0].mapTokenID).toBe(1);
  expect(body.result[1].mapTokenID).toBe(3);
});
