import { readAuditTrail } from '../support/audit-trail';
import type { Scope } from '../../src/domain';
import type { AgolFields } from '../../src/auth-types/agol';
import type { MapTokenFields } from '../../src/auth-types/auth-types';
import type { AuditContext, Store } from '../../src/stores/store';
import { ConflictError, NotFoundError } from '../../src/errors';
import { FakeClock } from '../support/fake-clock';
import { storeFactories as factories, staticFields } from '../support/store-factories';

const agol = (organizationId = 1): AgolFields => ({
  organizationId,
  authType: 'agol',
  authKey: 'client-id',
  authSecretEnc: 'sealed-secret',
  authTimeout: 60,
  authUrl: 'https://www.arcgis.com/sharing/rest/oauth2/token/',
});
const token = (tokenEnc = 'sealed-token', issuedAt = 1000, expiresAt: number | null = 2000) => ({ tokenEnc, issuedAt, expiresAt });
const scope = (environment = 'env-a', organizationId: number | null = null): Scope => ({ environment, organizationId });
const audit = (environment = 'env-a'): AuditContext => ({ environment, actor: 'tester', requestId: 'req-1' });
const NO_RULES = { allowedOrigins: null, rateLimit: null };

describe.each(factories)('store contract: $name', ({ open }) => {
  let store: Store;
  let clock: FakeClock;
  let done: () => Promise<void>;

  beforeEach(async () => {
    ({ store, clock, done } = await open());
  });
  afterEach(() => done());

  it('creates map tokens with increasing ids and reads them back only in their environment', async () => {
    const [a, b] = await store.mapTokens.writeBatch(
      [
        { kind: 'create', fields: agol(), token: token() },
        { kind: 'create', fields: staticFields(2), token: token('t2', 5, null) },
      ],
      audit(),
    );
    expect(b.id).toBeGreaterThan(a.id);
    expect(a).toMatchObject({ environment: 'env-a', ...agol(), token: token(), version: 1, createdAt: clock.now() });
    expect(b.token).toEqual(token('t2', 5, null));
    expect(await store.mapTokens.get(scope('env-a'), a.id)).toEqual(a);
    expect(await store.mapTokens.get(scope('env-b'), a.id)).toBeNull();
    expect(await store.mapTokens.delete(scope('env-b'), a.id, audit('env-b'))).toBe(false);
    expect((await store.mapTokens.list(scope('env-b'), { limit: 10, offset: 0, organizationId: null })).total).toBe(0);
  });

  it('keeps an enterprise item with its referer, and a type change in either direction replaces every credential field', async () => {
    const enterprise: MapTokenFields = {
      organizationId: 1,
      authType: 'enterprise',
      authKey: 'indoors_viewer',
      authSecretEnc: 'sealed-password',
      authTimeout: 30,
      authUrl: 'https://gis.example.com/portal/sharing/rest/generateToken',
      authReferer: 'https://maps.example.com',
    };
    const [row] = await store.mapTokens.writeBatch([{ kind: 'create', fields: enterprise, token: token() }], audit());
    expect(row).toMatchObject({ ...enterprise, token: token(), version: 1 });
    expect(await store.mapTokens.get(scope('env-a'), row.id)).toEqual(row);

    const [asAgol] = await store.mapTokens.writeBatch(
      [{ kind: 'update', id: row.id, expectedVersion: 1, fields: { ...agol(), authReferer: null }, token: null }],
      audit(),
    );
    expect(asAgol).toMatchObject({ ...agol(), authReferer: null, token: null, version: 2 });

    const [back] = await store.mapTokens.writeBatch(
      [{ kind: 'update', id: row.id, expectedVersion: 2, fields: { ...enterprise, authReferer: null }, token: undefined }],
      audit(),
    );
    expect(back).toMatchObject({ ...enterprise, authReferer: null, version: 3 });

    const fixed: MapTokenFields = { ...staticFields(), authReferer: null };
    const [again] = await store.mapTokens.writeBatch(
      [{ kind: 'update', id: row.id, expectedVersion: 3, fields: { ...enterprise }, token: undefined }],
      audit(),
    );
    expect(again.authReferer).toBe('https://maps.example.com');
    const [asStatic] = await store.mapTokens.writeBatch(
      [{ kind: 'update', id: row.id, expectedVersion: 4, fields: fixed, token: token('static') }],
      audit(),
    );
    expect(await store.mapTokens.get(scope('env-a'), row.id)).toEqual(asStatic);
    expect(asStatic).toMatchObject({ ...fixed, token: token('static') });
  });

  it('reads a write that leaves out authReferer (fields of agol and static items) as a null referer', async () => {
    const [row] = await store.mapTokens.writeBatch(
      [{ kind: 'create', fields: { ...agol(), authType: 'enterprise', authReferer: 'https://maps.example.com' }, token: null }],
      audit(),
    );
    const [updated] = await store.mapTokens.writeBatch(
      [{ kind: 'update', id: row.id, expectedVersion: 1, fields: agol(), token: undefined }],
      audit(),
    );
    expect(updated.authReferer).toBeNull();
    expect((await store.mapTokens.get(scope('env-a'), row.id))?.authReferer).toBeNull();
  });

  it("keeps a static item's server, replaces and clears it on update, and reads it as null where it was left out", async () => {
    const fixed = staticFields();
    const server = `https://gis.example.com/arcgis/rest/services/${'a'.repeat(1990)}`;
    const [withServer, without] = await store.mapTokens.writeBatch(
      [
        { kind: 'create', fields: { ...fixed, server }, token: token('s1', 5, null) },
        { kind: 'create', fields: fixed, token: token('s2', 5, null) },
      ],
      audit(),
    );
    expect(withServer.server).toBe(server);
    expect((await store.mapTokens.get(scope('env-a'), withServer.id))?.server).toBe(server);
    expect((await store.mapTokens.get(scope('env-a'), without.id))?.server).toBeNull();
    const other = 'https://gis.example.com/portal/sharing/rest';
    const [replaced] = await store.mapTokens.writeBatch(
      [{ kind: 'update', id: withServer.id, expectedVersion: 1, fields: { ...fixed, server: other }, token: undefined }],
      audit(),
    );
    expect(replaced.server).toBe(other);
    // an item that becomes agol stores no server (its own is derived from authUrl)
    const [asAgol] = await store.mapTokens.writeBatch(
      [{ kind: 'update', id: withServer.id, expectedVersion: 2, fields: agol(), token: null }],
      audit(),
    );
    expect(asAgol.server).toBeNull();
    expect((await store.mapTokens.get(scope('env-a'), withServer.id))?.server).toBeNull();
  });

  it('lists in id order with limit, offset, organization filter and the total', async () => {
    await store.mapTokens.writeBatch(
      [1, 2, 1, 1, 2].map((org) => ({ kind: 'create' as const, fields: agol(org), token: null })),
      audit(),
    );
    const page = await store.mapTokens.list(scope('env-a'), { limit: 2, offset: 1, organizationId: null });
    expect(page.total).toBe(5);
    expect(page.rows.map((r) => r.organizationId)).toEqual([2, 1]);
    expect(page.rows[0].id).toBeLessThan(page.rows[1].id);
    const org1 = await store.mapTokens.list(scope('env-a'), { limit: 10, offset: 0, organizationId: 1 });
    expect(org1.total).toBe(3);
    expect(org1.rows.every((r) => r.organizationId === 1)).toBe(true);
  });

  it('keeps to a scope bound to one organization: get, list and delete see only its rows', async () => {
    const [mine, theirs] = await store.mapTokens.writeBatch(
      [
        { kind: 'create', fields: agol(1), token: null },
        { kind: 'create', fields: agol(2), token: null },
      ],
      audit(),
    );
    expect(await store.mapTokens.get(scope('env-a', 1), mine.id)).toEqual(mine);
    expect(await store.mapTokens.get(scope('env-a', 1), theirs.id)).toBeNull();
    expect(await store.mapTokens.get(scope('env-b', 1), mine.id)).toBeNull();

    const listed = await store.mapTokens.list(scope('env-a', 1), { limit: 10, offset: 0, organizationId: null });
    expect({ total: listed.total, ids: listed.rows.map((r) => r.id) }).toEqual({ total: 1, ids: [mine.id] });
    expect(await store.mapTokens.list(scope('env-a', 1), { limit: 10, offset: 0, organizationId: 1 })).toEqual(listed);
    // a filter for another organization than the scope's lists nothing, not that organization
    expect(await store.mapTokens.list(scope('env-a', 1), { limit: 10, offset: 0, organizationId: 2 })).toEqual({ rows: [], total: 0 });

    expect(await store.mapTokens.delete(scope('env-a', 1), theirs.id, audit())).toBe(false);
    expect(await store.mapTokens.get(scope('env-a'), theirs.id)).toEqual(theirs);
    expect(await store.mapTokens.delete(scope('env-a', 2), theirs.id, audit())).toBe(true);
    expect(await store.mapTokens.get(scope('env-a'), theirs.id)).toBeNull();
  });

  it('reads many rows by id at once, leaving out ids outside the scope or not there', async () => {
    const rows = await store.mapTokens.writeBatch(
      [1, 2, 1].map((org) => ({ kind: 'create' as const, fields: agol(org), token: token() })),
      audit(),
    );
    const [other] = await store.mapTokens.writeBatch([{ kind: 'create', fields: agol(1), token: null }], audit('env-b'));
    const ids = [rows[2].id, rows[0].id, rows[1].id, other.id, 2_000_000_000];

    const all = await store.mapTokens.getMany(scope('env-a'), ids);
    expect([...all.keys()].sort((a, b) => a - b)).toEqual(rows.map((r) => r.id));
    for (const row of rows) expect(all.get(row.id)).toEqual(row);

    const org1 = await store.mapTokens.getMany(scope('env-a', 1), ids);
    expect([...org1.keys()].sort((a, b) => a - b)).toEqual([rows[0].id, rows[2].id]);
    expect([...(await store.mapTokens.getMany(scope('env-b'), ids)).keys()]).toEqual([other.id]);
    expect((await store.mapTokens.getMany(scope('env-a'), [])).size).toBe(0);
  });

  it('updates bump the version, keep the token when told to and replace it when given one', async () => {
    const [row] = await store.mapTokens.writeBatch([{ kind: 'create', fields: agol(), token: token() }], audit());
    clock.advance(10);
    const [kept] = await store.mapTokens.writeBatch(
      [{ kind: 'update', id: row.id, expectedVersion: 1, fields: agol(5), token: undefined }],
      audit(),
    );
    expect(kept).toMatchObject({ organizationId: 5, version: 2, token: token(), updatedAt: clock.now() });
    const [replaced] = await store.mapTokens.writeBatch(
      [{ kind: 'update', id: row.id, expectedVersion: 2, fields: agol(5), token: token('new', 3, 4) }],
      audit(),
    );
    expect(replaced).toMatchObject({ version: 3, token: token('new', 3, 4) });
    const [cleared] = await store.mapTokens.writeBatch(
      [{ kind: 'update', id: row.id, expectedVersion: 3, fields: agol(5), token: null }],
      audit(),
    );
    expect(cleared.token).toBeNull();
  });

  it('stores nothing of a batch when one update names a row of another environment', async () => {
    const [other] = await store.mapTokens.writeBatch([{ kind: 'create', fields: agol(), token: null }], audit('env-b'));
    await expect(
      store.mapTokens.writeBatch(
        [
          { kind: 'create', fields: agol(), token: null },
          { kind: 'update', id: other.id, expectedVersion: 1, fields: agol(9), token: undefined },
        ],
        audit('env-a'),
      ),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect((await store.mapTokens.list(scope('env-a'), { limit: 10, offset: 0, organizationId: null })).total).toBe(0);
    expect((await store.mapTokens.get(scope('env-b'), other.id))?.organizationId).toBe(1);
    expect((await readAuditTrail(store, 'env-a')).length).toBe(0);
  });

  it('refuses, with a conflict and storing nothing, an update planned on a version that changed since', async () => {
    const [row] = await store.mapTokens.writeBatch([{ kind: 'create', fields: agol(), token: token() }], audit());
    await store.mapTokens.writeBatch([{ kind: 'update', id: row.id, expectedVersion: 1, fields: agol(2), token: undefined }], audit());
    await expect(
      store.mapTokens.writeBatch(
        [
          { kind: 'create', fields: agol(), token: null },
          { kind: 'update', id: row.id, expectedVersion: 1, fields: agol(3), token: undefined },
        ],
        audit(),
      ),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(await store.mapTokens.get(scope('env-a'), row.id)).toMatchObject({ organizationId: 2, version: 2 });
    expect((await store.mapTokens.list(scope('env-a'), { limit: 10, offset: 0, organizationId: null })).total).toBe(1);
  });

  it('saves a renewed token unless the credentials it was fetched with changed; an unrelated admin write does not lose it', async () => {
    const [row] = await store.mapTokens.writeBatch([{ kind: 'create', fields: agol(), token: null }], audit());
    expect(await store.mapTokens.saveToken(row, token('fresh'), 0)).toBe(true);
    expect((await store.mapTokens.get(scope('env-a'), row.id))?.token).toEqual(token('fresh'));
    // only the organization changes: a renewal fetched with the same credentials is still saved
    await store.mapTokens.writeBatch(
      [{ kind: 'update', id: row.id, expectedVersion: row.version, fields: agol(2), token: undefined }],
      audit(),
    );
    expect(await store.mapTokens.saveToken(row, token('after-org-change'), 0)).toBe(true);
    expect((await store.mapTokens.get(scope('env-a'), row.id))?.token).toEqual(token('after-org-change'));
    // each credential field, changed, makes a token fetched with the old ones stale
    const changes: Partial<AgolFields>[] = [
      { authKey: 'other-client' },
      { authKey: 'client-id ' },
      { authSecretEnc: 'sealed-other' },
      { authTimeout: 61 },
      { authUrl: 'https://www.arcgis.com/sharing/rest/oauth2/token' },
    ];
    let version = row.version + 1;
    for (const change of changes) {
      await store.mapTokens.writeBatch(
        [{ kind: 'update', id: row.id, expectedVersion: version, fields: { ...agol(2), ...change }, token: undefined }],
        audit(),
      );
      version += 1;
      expect(await store.mapTokens.saveToken(row, token('late'), 0)).toBe(false);
      expect(await store.mapTokens.recordRefreshFailure(row, { at: 1, kind: 'error', message: 'm' }, 1, 9000)).toBe(false);
      expect((await store.mapTokens.get(scope('env-a'), row.id))?.token).toEqual(token('after-org-change'));
    }
    const now = await store.mapTokens.get(scope('env-a'), row.id);
    expect(await store.mapTokens.saveToken(now!, token('current'), 0)).toBe(true);
  });

  it('keeps when each token is due: at its refresh point, never for static, at once without a token; due() finds them earliest first', async () => {
    const [dated, empty, fixed] = await store.mapTokens.writeBatch(
      [
        { kind: 'create', fields: agol(), token: token('t', 0, 7_200_000) },
        { kind: 'create', fields: agol(), token: null },
        { kind: 'create', fields: staticFields(), token: token('s', 0, 7_200_000) },
      ],
      audit(),
    );
    expect([dated.renewAt, empty.renewAt, fixed.renewAt]).toEqual([6_600_000, 0, null]);
    expect(dated).toMatchObject({ refreshFailures: 0, lastRefreshError: null, forcedRenewalAt: null });
    const [other] = await store.mapTokens.writeBatch([{ kind: 'create', fields: agol(), token: token('o', 0, 3_600_000) }], audit('env-b'));

    expect(await store.mapTokens.due(6_599_999, 10)).toEqual([
      { id: empty.id, environment: 'env-a' },
      { id: other.id, environment: 'env-b' },
    ]);
    expect(await store.mapTokens.due(6_600_000, 10)).toEqual([
      { id: empty.id, environment: 'env-a' },
      { id: other.id, environment: 'env-b' },
      { id: dated.id, environment: 'env-a' },
    ]);
    expect(await store.mapTokens.due(10_000_000, 1)).toEqual([{ id: empty.id, environment: 'env-a' }]);
  });

  it('records a failed renewal for every reader, lists and counts it, and a saved token clears it', async () => {
    const [row] = await store.mapTokens.writeBatch([{ kind: 'create', fields: agol(), token: token('t', 0, 7_200_000) }], audit());
    const failure = { at: 5000, kind: 'rejected' as const, message: 'Invalid client_secret' };
    expect(await store.mapTokens.recordRefreshFailure({ ...row, id: row.id + 1000 }, failure, 1, 9000)).toBe(false);
    expect(await store.mapTokens.recordRefreshFailure(row, failure, 3, 9000)).toBe(true);

    expect(await store.mapTokens.get(scope('env-a'), row.id)).toMatchObject({
      renewAt: 9000,
      refreshFailures: 3,
      lastRefreshError: failure,
    });
    expect(await store.mapTokens.countFailing()).toBe(1);
    const failing = await store.mapTokens.list(scope('env-a'), { limit: 10, offset: 0, organizationId: null, failing: true });
    expect(failing.rows.map((r) => r.id)).toEqual([row.id]);
    expect(failing.total).toBe(1);
    expect((await store.mapTokens.list(scope('env-b'), { limit: 10, offset: 0, organizationId: null, failing: true })).total).toBe(0);

    expect(await store.mapTokens.saveToken(row, token('n', 10_000, 610_000), 370_000, 10_000)).toBe(true);
    expect(await store.mapTokens.get(scope('env-a'), row.id)).toMatchObject({
      renewAt: 370_000,
      refreshFailures: 0,
      lastRefreshError: null,
      forcedRenewalAt: 10_000,
    });
    expect(await store.mapTokens.countFailing()).toBe(0);
    expect((await store.mapTokens.list(scope('env-a'), { limit: 10, offset: 0, organizationId: null, failing: true })).total).toBe(0);
    // a renewal that was not forced keeps the time of the last forced one
    await store.mapTokens.saveToken(row, token('m', 20_000, 620_000), 380_000);
    expect((await store.mapTokens.get(scope('env-a'), row.id))?.forcedRenewalAt).toBe(10_000);
  });

  it('in-use: due() and countDue() with usedSince keep only tokens read or written since then', async () => {
    clock.advance(10_000_000 - clock.now());
    const written = clock.now();
    const [idle, read, rewritten, fresh] = await store.mapTokens.writeBatch(
      [
        { kind: 'create', fields: agol(), token: token('i', 0, 3_600_000) },
        { kind: 'create', fields: agol(), token: token('r', 0, 3_600_001) },
        { kind: 'create', fields: agol(), token: token('w', 0, 3_600_002) },
        { kind: 'create', fields: agol(), token: token('f', written, written + 7_200_000) },
      ],
      audit(),
    );
    expect([idle, read, rewritten, fresh].map((row) => row.lastUsedAt)).toEqual([written, written, written, written]);
    clock.advance(5000);
    await store.mapTokens.addUsage([{ id: read.id, reads: 3, lastReadAt: written + 4000 }]);
    await store.mapTokens.writeBatch(
      [{ kind: 'update', id: rewritten.id, expectedVersion: 1, fields: agol(2), token: undefined }],
      audit(),
    );
    const now = clock.now();
    const ids = async (usedSince?: number) => (await store.mapTokens.due(now, 10, usedSince)).map((due) => due.id);
    expect(await ids()).toEqual([idle.id, read.id, rewritten.id]);
    expect(await store.mapTokens.countDue(now)).toBe(3);
    // used at or after usedSince: both sides of the boundary
    expect(await ids(written + 4000)).toEqual([read.id, rewritten.id]);
    expect(await ids(written + 4001)).toEqual([rewritten.id]);
    expect(await store.mapTokens.countDue(now, written + 4000)).toBe(2);
    expect(await ids(now + 1)).toEqual([]);
    expect(await store.mapTokens.countDue(now, now + 1)).toBe(0);
    // not due yet: not counted, however recently used
    expect(await store.mapTokens.countDue(written + 6_600_000 - 1, written)).toBe(3);
    expect(await store.mapTokens.countDue(written + 6_600_000, written)).toBe(4);
  });

  it('adds usage in batches: reads add up, the last read time only moves forward, a row gone is skipped', async () => {
    const rows = await store.mapTokens.writeBatch(
      Array.from({ length: 3 }, () => ({ kind: 'create' as const, fields: agol(), token: null })),
      audit(),
    );
    expect(rows[0].usage).toEqual({ lastReadAt: null, reads: 0 });
    await store.mapTokens.delete(scope('env-a'), rows[2].id, audit());
    const many = Array.from({ length: 1200 }, (_, i) => ({ id: 100_000 + i, reads: 1, lastReadAt: 1 }));
    await store.mapTokens.addUsage([
      { id: rows[0].id, reads: 5, lastReadAt: 7000 },
      { id: rows[1].id, reads: 1, lastReadAt: 6000 },
      { id: rows[2].id, reads: 9, lastReadAt: 9000 },
      ...many,
    ]);
    await store.mapTokens.addUsage([{ id: rows[0].id, reads: 2, lastReadAt: 6500 }]);
    const [first, second] = await Promise.all(rows.slice(0, 2).map((row) => store.mapTokens.get(scope('env-a'), row.id)));
    expect(first?.usage).toEqual({ lastReadAt: 7000, reads: 7 });
    expect(second?.usage).toEqual({ lastReadAt: 6000, reads: 1 });
    expect(await store.mapTokens.get(scope('env-a'), rows[2].id)).toBeNull();
    // usage is not a write of the resource: the version stays
    expect(first?.version).toBe(1);
  });

  it('deletes a row with its secret and token, and records every change in the audit trail', async () => {
    const [row] = await store.mapTokens.writeBatch([{ kind: 'create', fields: agol(), token: token() }], audit());
    await store.mapTokens.writeBatch([{ kind: 'update', id: row.id, expectedVersion: 1, fields: agol(), token: undefined }], {
      ...audit(),
      requestId: 'req-2',
    });
    expect(await store.mapTokens.delete(scope('env-a'), row.id, { ...audit(), requestId: 'req-3' })).toBe(true);
    expect(await store.mapTokens.get(scope('env-a'), row.id)).toBeNull();
    expect(await store.mapTokens.delete(scope('env-a'), row.id, audit())).toBe(false);
    const events = await readAuditTrail(store, 'env-a');
    expect(events.map((e) => [e.action, e.resourceType, e.resourceId, e.requestId, e.actor])).toEqual([
      ['create', 'map_token', String(row.id), 'req-1', 'tester'],
      ['update', 'map_token', String(row.id), 'req-2', 'tester'],
      ['delete', 'map_token', String(row.id), 'req-3', 'tester'],
    ]);
    expect(events[0].at).toBe(clock.now());
  });

  it('finds keys by hash until they are revoked', async () => {
    const key = await store.keys.create(
      { environment: 'env-a', role: 'reader', organizationId: 4, description: 'd', keyHash: 'a'.repeat(64), ...NO_RULES },
      audit(),
    );
    expect(await store.keys.findByHash('a'.repeat(64))).toEqual(key);
    expect(await store.keys.findByHash('b'.repeat(64))).toBeNull();
    expect(await store.keys.list('env-a')).toEqual([key]);
    expect(await store.keys.list('env-b')).toEqual([]);
    expect(await store.keys.revoke(key.id, { actor: 'x', requestId: 'r' })).toEqual(key);
    expect(await store.keys.revoke(key.id, { actor: 'x', requestId: 'r' })).toBeNull();
    expect(await store.keys.findByHash('a'.repeat(64))).toBeNull();
    expect((await readAuditTrail(store, 'env-a')).map((e) => [e.action, e.resourceType, e.resourceId, e.actor, e.requestId, e.at])).toEqual(
      [
        ['create', 'key', String(key.id), 'tester', 'req-1', clock.now()],
        ['delete', 'key', String(key.id), 'x', 'r', clock.now()],
      ],
    );
  });

  it("keeps a key's and a client's origin binding and read limit, every origin as given, and a new key unused", async () => {
    // 50 origins of 2048 characters: the most a key may be bound to (sql/008 holds them all)
    const origins = Array.from({ length: 50 }, (_, i) => `https://${`o${i}-`.padEnd(2028, 'x')}.example.com`);
    expect(origins.every((origin) => origin.length === 2048)).toBe(true);
    const rules = { allowedOrigins: origins, rateLimit: 1_000_000 };
    const key = await store.keys.create(
      { environment: 'env-a', role: 'reader', organizationId: null, description: null, keyHash: 'd'.repeat(64), ...rules },
      audit(),
    );
    expect(key).toMatchObject({ ...rules, lastUsedAt: null });
    expect(await store.keys.findByHash('d'.repeat(64))).toEqual(key);
    expect(await store.keys.list('env-a')).toEqual([key]);
    const client = await store.clients.create(
      {
        clientId: 'c2',
        environment: 'env-a',
        role: 'reader',
        organizationId: null,
        description: null,
        allowedOrigins: ['http://localhost:8080'],
        rateLimit: 1,
      },
      { id: 's4', clientId: 'c2', description: null, secretHash: '4'.repeat(64) },
      audit(),
    );
    expect(client).toMatchObject({ allowedOrigins: ['http://localhost:8080'], rateLimit: 1 });
    expect(await store.clients.get('c2')).toEqual(client);
    expect(await store.clients.list('env-a')).toEqual([client]);
  });

  it('moves lastUsedAt of keys forward, never back, in one call for many keys, skipping keys that are gone', async () => {
    const create = (hash: string) =>
      store.keys.create(
        { environment: 'env-a', role: 'reader', organizationId: null, description: null, keyHash: hash, ...NO_RULES },
        audit(),
      );
    const first = await create('e'.repeat(64));
    const second = await create('f'.repeat(64));
    const unused = await create('0'.repeat(64));
    await store.keys.recordUses([
      { id: first.id, at: 5000 },
      { id: second.id, at: 7000 },
      { id: 999_999, at: 9000 },
    ]);
    await store.keys.recordUses([{ id: first.id, at: 4000 }]);
    const byId = new Map((await store.keys.list('env-a')).map((row) => [row.id, row.lastUsedAt]));
    expect([byId.get(first.id), byId.get(second.id), byId.get(unused.id)]).toEqual([5000, 7000, null]);
    expect((await store.keys.findByHash('e'.repeat(64)))?.lastUsedAt).toBe(5000);
    const many = Array.from({ length: 1201 }, () => ({ id: second.id, at: 8000 }));
    await store.keys.recordUses([...many, { id: first.id, at: 6000 }]);
    expect((await store.keys.list('env-a')).map((row) => row.lastUsedAt)).toEqual([6000, 8000, null]);
  });

  it('keeps clients and their secrets, and deleting a client deletes its secrets', async () => {
    const client = await store.clients.create(
      { clientId: 'c1', environment: 'env-a', role: 'admin', organizationId: null, description: null, ...NO_RULES },
      { id: 's1', clientId: 'c1', description: 'first', secretHash: '1'.repeat(64) },
      audit(),
    );
    expect(await store.clients.get('c1')).toEqual(client);
    clock.advance(1);
    await store.clients.addSecret({ id: 's2', clientId: 'c1', description: null, secretHash: '2'.repeat(64) }, audit());
    expect((await store.clients.listSecrets('c1')).map((s) => s.id)).toEqual(['s1', 's2']);
    await expect(
      store.clients.addSecret({ id: 's3', clientId: 'nope', description: null, secretHash: '3'.repeat(64) }, audit()),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.clients.deleteSecret('other-client', 's1', audit())).toBe(false);
    expect(await store.clients.deleteSecret('c1', 's1', audit())).toBe(true);
    expect(await store.clients.getSecret('s1')).toBeNull();
    expect(await store.clients.list('env-a')).toEqual([client]);
    expect(await store.clients.delete('c1', { actor: 'x', requestId: 'r' })).toEqual(client);
    expect(await store.clients.getSecret('s2')).toBeNull();
    expect(await store.clients.get('c1')).toBeNull();
  });

  it('has credentials while any environment has an active key or a client, and none when empty or all revoked and deleted', async () => {
    expect(await store.hasCredentials()).toBe(false);
    const key = await store.keys.create(
      { environment: 'env-a', role: 'admin', organizationId: null, description: null, keyHash: 'c'.repeat(64), ...NO_RULES },
      audit(),
    );
    expect(await store.hasCredentials()).toBe(true);
    await store.keys.revoke(key.id, { actor: 'x', requestId: 'r' });
    expect(await store.hasCredentials()).toBe(false);
    await store.clients.create(
      { clientId: 'c9', environment: 'env-b', role: 'reader', organizationId: null, description: null, ...NO_RULES },
      { id: 's9', clientId: 'c9', description: null, secretHash: '9'.repeat(64) },
      audit(),
    );
    expect(await store.hasCredentials()).toBe(true);
    await store.clients.delete('c9', { actor: 'x', requestId: 'r' });
    expect(await store.hasCredentials()).toBe(false);
  });

  it('lets one holder at a time run under a named lock', async () => {
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const first = store.withLock('contract-lock', 5, async (acquired) => {
      order.push(`first:${acquired}`);
      holding();
      await gate;
      order.push('first done');
    });
    await held;
    const second = store.withLock('contract-lock', 5, async (acquired) => {
      order.push(`second:${acquired}`);
    });
    // the second must still be waiting a moment later (it may not run while the first holds the lock)
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(order).toEqual(['first:true']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first:true', 'first done', 'second:true']);
  });

  it('runs the function anyway, unlocked, when the lock is not had in time', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const holder = store.withLock('busy-lock', 5, () => {
      holding();
      return gate;
    });
    await held;
    const result = await store.withLock('busy-lock', 1, async (acquired) => acquired);
    expect(result).toBe(false);
    release();
    await holder;
  });

  it('re-seals every sealed value it is given a replacement for, in every environment', async () => {
    const [a] = await store.mapTokens.writeBatch([{ kind: 'create', fields: agol(), token: token('old-token') }], audit('env-a'));
    const [b] = await store.mapTokens.writeBatch(
      [{ kind: 'create', fields: { ...agol(), authSecretEnc: 'current' }, token: null }],
      audit('env-b'),
    );
    const replaced = await store.mapTokens.resealAll((sealed) => (sealed === 'current' ? null : `re:${sealed}`));
    expect(replaced).toBe(2);
    expect(await store.mapTokens.get(scope('env-a'), a.id)).toMatchObject({
      authSecretEnc: 're:sealed-secret',
      token: { tokenEnc: 're:old-token' },
    });
    expect((await store.mapTokens.get(scope('env-b'), b.id))?.authSecretEnc).toBe('current');
  });

  it('answers ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
