import type { StaticFields } from '../../src/auth-types/static-token';
import { createMemoryStore } from '../../src/stores/memory/memory-store';
import { createMysqlStore } from '../../src/stores/mysql/mysql-store';
import type { Store } from '../../src/stores/store';
import { FakeClock } from './fake-clock';
import { createTestDatabase, type TestDatabase } from './test-database';

/** What a map token without credentials (a static one, stored as given) has in every credential field. */
const NO_CREDENTIALS = { authKey: null, authSecretEnc: null, authTimeout: null, authUrl: null } as const;

/** The fields a static map token of `organizationId` is stored with. */
export const staticFields = (organizationId = 1): StaticFields => ({ organizationId, authType: 'static', ...NO_CREDENTIALS });

/** How a store contract suite opens each store: the embedded one, and MySQL on a database of its own. */
type StoreFactory = { name: string; open: () => Promise<{ store: Store; clock: FakeClock; done: () => Promise<void> }> };

export const storeFactories: StoreFactory[] = [
  {
    name: 'embedded (memory)',
    open: async () => {
      const clock = new FakeClock();
      return { store: createMemoryStore(clock), clock, done: async () => undefined };
    },
  },
  {
    name: 'MySQL',
    open: async () => {
      const db: TestDatabase = await createTestDatabase();
      const clock = new FakeClock();
      const store = createMysqlStore(db.url, clock);
      return {
        store,
        clock,
        done: async () => {
          await store.close();
          await db.drop();
        },
      };
    },
  },
];
