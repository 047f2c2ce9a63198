import type { AgolFields } from '../../src/auth-types/agol';
import type { MapTokenFields } from '../../src/auth-types/auth-types';
import type { AuditContext, Store } from '../../src/stores/store';
import { staticFields, storeFactories } from '../support/store-factories';

const DAY = 86_400_000;
const NOW = Date.parse('2026-01-15T10:00:00.000Z');
const BY = NOW + 30 * DAY;

const agol: AgolFields = {
  organizationId: 1,
  authType: 'agol',
  authKey: 'client-id',
  authSecretEnc: 'sealed-secret',
  authTimeout: 60,
  authUrl: 'https://www.arcgis.com/sharing/rest/oauth2/token/',
};
const audit = (environment: string): AuditContext => ({ environment, actor: 'tester', requestId: 'req-1' });
const all = (environment: string) => ({ environment, organizationId: null });
const page = { limit: 10, offset: 0, organizationId: null };

describe.each(storeFactories)('store contract, static tokens that expire: $name', ({ open }) => {
  let store: Store;
  let done: () => Promise<void>;

  beforeEach(async () => {
    ({ store, done } = await open());
  });
  afterEach(() => done());

  /** Creates one map token per expiry in `environment`; agol rows are never "expiring static" tokens. */
  async function create(environment: string, items: { fields: MapTokenFields; expiresAt: number | null }[]): Promise<number[]> {
    const rows = await store.mapTokens.writeBatch(
      items.map(({ fields, expiresAt }) => ({ kind: 'create', fields, token: { tokenEnc: 'sealed', issuedAt: NOW, expiresAt } })),
      audit(environment),
    );
    return rows.map((row) => row.id);
  }

  it('lists and counts static tokens that expire by the given time, passed ones included, and nothing else', async () => {
    const [passed, justInside, atTheEdge, justOutside, undated, agolSoon] = await create('env-a', [
      { fields: staticFields(), expiresAt: NOW - DAY },
      { fields: staticFields(), expiresAt: BY - 1 },
      { fields: staticFields(), expiresAt: BY },
      { fields: staticFields(), expiresAt: BY + 1 },
      { fields: staticFields(), expiresAt: null },
      { fields: agol, expiresAt: NOW + 60_000 },
    ]);
    const listed = await store.mapTokens.list(all('env-a'), { ...page, expiringBy: BY });
    expect(listed.rows.map((row) => row.id)).toEqual([passed, justInside, atTheEdge]);
    expect(listed.total).toBe(3);
    expect(await store.mapTokens.countStaticExpiring(BY)).toBe(3);
    // without the filter, everything
    expect((await store.mapTokens.list(all('env-a'), page)).rows.map((row) => row.id)).toEqual([
      passed,
      justInside,
      atTheEdge,
      justOutside,
      undated,
      agolSoon,
    ]);
    expect(await store.mapTokens.countStaticExpiring(BY + 1)).toBe(4);
    expect(await store.mapTokens.countStaticExpiring(NOW - DAY - 1)).toBe(0);
  });

  it('filters within the environment and organization, pages with a total, and counts every environment', async () => {
    const [first, , third] = await create('env-a', [
      { fields: staticFields(1), expiresAt: NOW + DAY },
      { fields: staticFields(2), expiresAt: NOW + DAY },
      { fields: staticFields(1), expiresAt: NOW + 2 * DAY },
    ]);
    await create('env-b', [{ fields: staticFields(1), expiresAt: NOW + DAY }]);

    const org1 = await store.mapTokens.list(all('env-a'), { ...page, organizationId: 1, expiringBy: BY });
    expect(org1.rows.map((row) => row.id)).toEqual([first, third]);
    const second = await store.mapTokens.list(all('env-a'), { limit: 1, offset: 1, organizationId: null, expiringBy: BY });
    expect(second.rows).toHaveLength(1);
    expect(second.total).toBe(3);
    expect((await store.mapTokens.list(all('env-b'), { ...page, expiringBy: BY })).total).toBe(1);
    expect(await store.mapTokens.countStaticExpiring(BY)).toBe(4);
  });
});
