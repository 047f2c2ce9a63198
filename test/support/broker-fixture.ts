import { environmentScope } from '../../src/domain';
import { ArcgisClient } from '../../src/arcgis/arcgis-client';
import { AuthUrlAllowlist } from '../../src/arcgis/auth-url-allowlist';
import { SecretBox } from '../../src/crypto/secret-box';
import type { createLogger } from '../../src/logger';
import { createMetrics, type Metrics } from '../../src/metrics';
import { createMemoryStore } from '../../src/stores/memory/memory-store';
import type { MapTokenFields } from '../../src/auth-types/auth-types';
import type { MapTokenRow, StoredToken } from '../../src/stores/store';
import type { FakeArcgis } from './fake-arcgis';
import { FakeClock } from './fake-clock';
import { switchable, type SwitchableStore } from './switchable-store';
import { captureLogs } from './captured-logs';

/** The real parts a token broker or renewer is built from: embedded store, ArcGIS stand-in, fake clock. */
export interface BrokerParts {
  clock: FakeClock;
  store: SwitchableStore;
  box: SecretBox;
  arcgis: ArcgisClient;
  metrics: Metrics;
  logs: Record<string, unknown>[];
  logger: ReturnType<typeof createLogger>;
  create(fields?: Partial<MapTokenFields>, token?: StoredToken | null, environment?: string): Promise<MapTokenRow>;
  row(id: number, environment?: string): Promise<MapTokenRow>;
  /** A token sealed as the store keeps it, valid from now for `lifetimeMs`. */
  sealed(plaintext: string, lifetimeMs: number): StoredToken;
}

export const ENV = 'env1';

export function brokerParts(fake: FakeArcgis, options: { timeoutMs?: number; allowlist?: string; logLevel?: string } = {}): BrokerParts {
  const clock = new FakeClock();
  const store = switchable(createMemoryStore(clock));
  const box = new SecretBox([Buffer.alloc(32, 3)]);
  const arcgis = new ArcgisClient({
    timeoutMs: options.timeoutMs ?? 1000,
    allowlist: AuthUrlAllowlist.parse(options.allowlist ?? fake.url),
    now: () => clock.now(),
  });
  const { logger, logs } = captureLogs(options.logLevel);
  const audit = { environment: ENV, actor: 'test', requestId: 'test' };
  return {
    clock,
    store,
    box,
    arcgis,
    metrics: createMetrics(),
    logs,
    logger,
    async create(fields = {}, token = null, environment = ENV) {
      const [row] = await store.mapTokens.writeBatch(
        [
          {
            kind: 'create',
            fields: {
              organizationId: 1,
              authType: 'agol',
              authKey: 'app',
              authSecretEnc: box.encrypt('sekret'),
              authTimeout: null,
              authUrl: fake.tokenUrl,
              ...fields,
            } as MapTokenFields,
            token,
          },
        ],
        { ...audit, environment },
      );
      return row;
    },
    async row(id, environment = ENV) {
      const found = await store.mapTokens.get(environmentScope(environment), id);
      if (!found) throw new Error(`no row ${id}`);
      return found;
    },
    sealed(plaintext, lifetimeMs) {
      return { tokenEnc: box.encrypt(plaintext), issuedAt: clock.now(), expiresAt: clock.now() + lifetimeMs };
    },
  };
}

/** The value of a counter (with labels, when given). */
export async function count(
  counter: { get(): Promise<{ values: { value: number; labels: Record<string, unknown> }[] }> },
  labels: Record<string, string> = {},
): Promise<number> {
  const { values } = await counter.get();
  return values
    .filter((value) => Object.entries(labels).every(([k, v]) => value.labels[k] === v))
    .reduce((sum, value) => sum + value.value, 0);
}
