import * as net from 'node:net';
import request from 'supertest';
import { createHarness, type Harness } from '../support/harness';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { putStaticToken } from '../support/map-token-requests';

/**
 * SPEC "Headers": however many unknown keys are tried, they never push a known key out of the process
 * cache, so a key already known keeps working while MySQL is away. MySQL is reached here through a TCP
 * relay that the test cuts, which makes the real server unreachable for the app and for nobody else.
 */

const ENV = 'flood';
const MAX_ENTRIES = 20;

/** A TCP relay to MySQL; `cut()` closes every relayed connection and refuses new ones. */
class Relay {
  private readonly server = net.createServer((client) => this.relay(client));
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await new Promise((resolve) => this.server.once('listening', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  async cut(): Promise<void> {
    const closed = new Promise((resolve) => this.server.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private relay(client: net.Socket): void {
    const upstream = net.connect(this.target);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  }
}

let db: TestDatabase;
let relay: Relay;
let h: Harness;

beforeAll(async () => {
  db = await createTestDatabase();
  const url = new URL(db.url);
  relay = new Relay({ host: url.hostname, port: Number(url.port || 3306) });
  url.port = String(await relay.start());
  h = createHarness({ mysqlUrl: url.toString(), env: { CACHE_MAX_ENTRIES: String(MAX_ENTRIES), CACHE_TTL_SECONDS: '5' } });
});

afterAll(async () => {
  await relay.cut().catch(() => undefined);
  await h.close();
  await db.drop();
});

it('a known reader key keeps its token while MySQL is away, after more unknown keys than the cache holds were tried', async () => {
  const admin = await h.key(ENV);
  const reader = await h.key(ENV, 'reader');
  const expires = new Date(h.clock.now() + 86_400_000).toISOString();
  const path = `/api/v1/map-tokens/${await putStaticToken(h.app, ENV, admin, 'flood-token', expires)}/token`;
  const read = (key: string) => request(h.app).get(path).set({ 'atr-environment-id': ENV, 'atr-subscription-key': key });

  expect((await read(reader)).status).toBe(200);
  for (let i = 0; i < MAX_ENTRIES * 3; i++) expect((await read(`mtp_made-up-key-${i}-0123456789abcdefghij`)).status).toBe(401);

  await relay.cut();
  h.clock.advance(6000); // past CACHE_TTL_SECONDS: every cached entry asks MySQL first, and MySQL is away

  const res = await read(reader);
  expect(res.status).toBe(200);
  expect(res.body.token).toBe('flood-token');
});
