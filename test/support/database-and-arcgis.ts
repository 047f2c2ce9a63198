import { FakeArcgis } from './fake-arcgis';
import { createTestDatabase, type TestDatabase } from './test-database';

export interface DatabaseAndArcgis {
  readonly db: TestDatabase;
  readonly fake: FakeArcgis;
}

/**
 * For the enclosing describe (or file): a migrated database of its own and a running ArcGIS stand-in,
 * created before the first test and dropped or stopped after the last.
 */
export function useDatabaseAndArcgis(): DatabaseAndArcgis {
  let db: TestDatabase | undefined;
  let fake: FakeArcgis | undefined;
  beforeAll(async () => {
    fake = new FakeArcgis();
    [db] = await Promise.all([createTestDatabase(), fake.start()]);
  });
  afterAll(async () => {
    await fake?.stop();
    await db?.drop();
  });
  return {
    get db() {
      if (!db) throw new Error('useDatabaseAndArcgis: used outside a test');
      return db;
    },
    get fake() {
      if (!fake) throw new Error('useDatabaseAndArcgis: used outside a test');
      return fake;
    },
  };
}
