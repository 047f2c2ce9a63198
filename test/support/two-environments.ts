import { useDatabaseAndArcgis } from './database-and-arcgis';
import { createHarness, type Harness, type HarnessOptions } from './harness';
import { putMapTokens, readMapToken } from './map-token-requests';

const ENVIRONMENTS = ['env-a', 'env-b'] as const;
type Environment = (typeof ENVIRONMENTS)[number];

/**
 * For a test file: a database and the ArcGIS stand-in for the file, and for each test a fresh app over
 * an emptied database (UPSTREAM_TIMEOUT_MS 300) with an admin and a reader key in `env-a` and `env-b`.
 */
export function useTwoEnvironments(options: Pick<HarnessOptions, 'wrapStore'> = {}) {
  const setup = useDatabaseAndArcgis();
  let harness: Harness | undefined;
  let keys: Record<Environment, { admin: string; reader: string }> | undefined;

  beforeEach(async () => {
    await setup.db.clear();
    setup.fake.reset();
    harness = createHarness({ ...options, mysqlUrl: setup.db.url, arcgisOrigin: setup.fake.url, env: { UPSTREAM_TIMEOUT_MS: '300' } });
    const h = harness;
    const entries = await Promise.all(
      ENVIRONMENTS.map(async (env) => [env, { admin: await h.key(env, 'admin'), reader: await h.key(env, 'reader') }] as const),
    );
    keys = Object.fromEntries(entries) as Record<Environment, { admin: string; reader: string }>;
  });
  afterEach(() => harness?.close());

  const current = () => {
    if (!harness || !keys) throw new Error('useTwoEnvironments: used outside a test');
    return { h: harness, keys };
  };
  return {
    setup,
    get h() {
      return current().h;
    },
    get keys() {
      return current().keys;
    },
    /** An agol item of the stand-in's token URL. */
    agol: (extra: Record<string, unknown> = {}) => ({
      organization_ID: 1,
      authType: 'agol',
      authKey: 'edge-app',
      authToken: 'edge-secret',
      authURL: setup.fake.tokenUrl,
      ...extra,
    }),
    put: (env: Environment, body: unknown) => putMapTokens(current().h.app, env, current().keys[env].admin, body),
    read: (env: Environment, id: number, key = current().keys[env].reader) => readMapToken(current().h.app, env, key, id),
    rows: async () => Number((await setup.db.query<{ n: number }[]>('SELECT COUNT(*) AS n FROM map_tokens'))[0].n),
  };
}
