import request from 'supertest';
import type { KeyUse } from '../../src/stores/store';
import { createHarness, type Harness } from '../support/harness';
import { TcpProxy } from '../support/tcp-proxy';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { putStaticToken } from '../support/map-token-requests';

/**
 * SPEC "Reader keys live in browsers", usage: each key's lastUsedAt, at most a minute behind, written in
 * the background (every 30 s per key per instance), never by a read. A MySQL outage never fails a
 * read and loses no use: the uses wait for the next flush. Real MySQL (through a TCP proxy that can cut
 * it), a fake clock.
 */

const ENV = 'usage-env';

let db: TestDatabase;
let proxy: TcpProxy;
let h: Harness;
let id: number;
/** Every recordUses call the store received, with what it was given. */
let writes: KeyUse[][];

beforeAll(async () => {
  db = await createTestDatabase();
  const target = new URL(db.url);
  proxy = new TcpProxy(target.hostname, Number(target.port || 3306));
  const port = await proxy.start();
  target.port = String(port);
  // a short cache: keys are re-read from the store often, so a read that wrote would show at once
  writes = [];
  h = createHarness({
    mysqlUrl: target.toString(),
    env: { CACHE_TTL_SECONDS: '1' },
    wrapStore: (store) => ({
      ...store,
      keys: {
        ...store.keys,
        recordUses: async (uses) => {
          writes.push(uses.map((use) => ({ ...use })));
          return store.keys.recordUses(uses);
        },
      },
    }),
  });
});
afterAll(async () => {
  await h.close();
  await proxy.stop();
  await db.drop();
});

async function newKey(role: 'admin' | 'reader' = 'reader') {
  const { row, key } = await h.services.access.createKey({ environment: ENV, role, organizationId: null, description: null }, 'test');
  return { id: row.id, key };
}

const read = (key: string) =>
  request(h.app).get(`/api/v1/map-tokens/${id}/token`).set('atr-environment-id', ENV).set('atr-subscription-key', key);
const lastUsed = async (keyId: number) => (await h.services.access.listKeys(ENV)).find((row) => row.id === keyId)?.lastUsedAt;

beforeAll(async () => {
  const admin = await newKey('admin');
  id = await putStaticToken(h.app, ENV, admin.key, 'usage-token');
  await h.services.keyUsage.flush();
});

beforeEach(() => {
  writes.length = 0;
});

describe("a key's lastUsedAt", () => {
  it('is not written by reads, however many and however far apart: only the background flush writes it, once for all of them', async () => {
    const reader = await newKey();
    const started = h.clock.now();
    for (let i = 0; i < 5; i++) {
      expect((await read(reader.key)).status).toBe(200);
      h.clock.advance(2000);
    }
    expect(writes).toEqual([]);
    expect(await lastUsed(reader.id)).toBeNull();

    await h.services.keyUsage.flush();
    expect(writes).toEqual([[{ id: reader.id, at: started + 8000 }]]);
    expect(await lastUsed(reader.id)).toBe(started + 8000);
    // nothing new: the next flush writes nothing
    await h.services.keyUsage.flush();
    expect(writes).toHaveLength(1);
  });

  it('writes every key used since the last flush in one call, admin calls included, and not a refused key', async () => {
    const [first, second, unused] = [await newKey(), await newKey(), await newKey()];
    const admin = await newKey('admin');
    await read(first.key);
    await read(second.key);
    const list = await request(h.app).get('/api/v1/admin/map-tokens').set('atr-environment-id', ENV).set('atr-subscription-key', admin.key);
    expect(list.status).toBe(200);
    // a reader on an admin route is refused before its use counts
    await request(h.app).get('/api/v1/admin/map-tokens').set('atr-environment-id', ENV).set('atr-subscription-key', unused.key);
    await h.services.keyUsage.flush();
    expect(writes).toHaveLength(1);
    expect(new Set(writes[0]?.map((use) => use.id))).toEqual(new Set([first.id, second.id, admin.id]));
    expect(await lastUsed(unused.id)).toBeNull();
  });

  it('survives a MySQL outage: reads still answer, the flush fails quietly, and the next one after it writes the use', async () => {
    const reader = await newKey();
    expect((await read(reader.key)).status).toBe(200);
    const usedAt = h.clock.now();
    proxy.cut();
    try {
      h.clock.advance(5000);
      // the key and the token are known to this process: the read needs no database
      expect((await read(reader.key)).status).toBe(200);
      const servedAt = h.clock.now();
      const storeErrors = async () => (await h.metrics.storeErrors.get()).values[0]?.value ?? 0;
      const errorsBefore = await storeErrors();
      await h.services.keyUsage.flush();
      expect(writes).toHaveLength(1);
      // the failed write counts in mtp_store_unavailable_total like any other failed store call
      expect(await storeErrors()).toBeGreaterThan(errorsBefore);
      expect(h.logs.some((line) => line.level === 'warn' && line.msg === 'key usage not written; kept for the next write')).toBe(true);
      proxy.restore();
      // the store fails fast for a moment after an outage: flush (as the minute timer would) until the write goes through
      const deadline = Date.now() + 30_000;
      while ((await lastUsed(reader.id).catch(() => undefined)) !== servedAt && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        await h.services.keyUsage.flush();
      }
      expect(await lastUsed(reader.id)).toBe(servedAt);
      // every write after the outage carried the last use, the one noted while MySQL was away
      expect(writes.slice(1).every((uses) => uses.length === 1 && uses[0]?.id === reader.id && uses[0]?.at === servedAt)).toBe(true);
      expect(servedAt).toBeGreaterThan(usedAt);
    } finally {
      proxy.restore();
    }
  });
});
