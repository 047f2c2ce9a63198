import * as http from 'node:http';
import type { FakeArcgis } from './fake-arcgis';
import { FakeClock } from './fake-clock';
import { createHarness, type Harness, type HarnessOptions } from './harness';
import { createTestDatabase, type TestDatabase } from './test-database';
import { useFakeArcgis } from './use-fake-arcgis';

/** One "instance": the real app on its own cache and pool, listening on a free port of 127.0.0.1. */
interface ListeningInstance {
  harness: Harness;
  server: http.Server;
}

async function startInstance(options: HarnessOptions): Promise<ListeningInstance> {
  const harness = createHarness(options);
  const server = http.createServer(harness.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { harness, server };
}

/** Closes every connection and the server, then the instance's store and background work. */
async function stopInstances(instances: ListeningInstance[]): Promise<void> {
  for (const { harness, server } of instances) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await harness.close();
  }
}

export interface InstancesOnOneDatabase {
  readonly fake: FakeArcgis;
  readonly clock: FakeClock;
  /** Every instance, in the order they started. */
  readonly instances: ListeningInstance[];
  readonly db: TestDatabase;
  /** An admin and a reader key of the environment, made through the first instance. */
  readonly admin: string;
  readonly reader: string;
}

/**
 * For the whole test file: `count` listening instances on one migrated database of their own, sharing a
 * fake clock and the ArcGIS stand-in (back to its defaults before each test), with `env` on top of the
 * harness's. Call it at the top of the file, so that its hooks run before the file's own.
 */
export function useInstancesOnOneDatabase(environment: string, count: number, env?: Record<string, string>): InstancesOnOneDatabase {
  const fake = useFakeArcgis();
  const clock = new FakeClock();
  const instances: ListeningInstance[] = [];
  let db: TestDatabase | undefined;
  let admin: string | undefined;
  let reader: string | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    for (let i = 0; i < count; i += 1) instances.push(await startInstance({ mysqlUrl: db.url, arcgisOrigin: fake.url, clock, env }));
    admin = await instances[0].harness.key(environment);
    reader = await instances[0].harness.key(environment, 'reader');
  });
  afterAll(async () => {
    await stopInstances(instances);
    await db?.drop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useInstancesOnOneDatabase: used outside a test');
    return value;
  };
  return {
    fake,
    clock,
    instances,
    get db() {
      return started(db);
    },
    get admin() {
      return started(admin);
    },
    get reader() {
      return started(reader);
    },
  };
}
