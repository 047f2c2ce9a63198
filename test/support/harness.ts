import type { RequestListener } from 'node:http';
import type { Express } from 'express';
import { createApp } from '../../src/app';
import type { Clock } from '../../src/clock';
import { type Config, loadConfig } from '../../src/config';
import { createMetrics, type Metrics } from '../../src/metrics';
import { createMemoryStore } from '../../src/stores/memory/memory-store';
import { createMysqlStore } from '../../src/stores/mysql/mysql-store';
import type { Role } from '../../src/domain';
import type { Store } from '../../src/stores/store';
import { createArcgisClient, createServices, createTokenBroker, type Services } from '../../src/services/services';
import type { TokenBroker } from '../../src/services/token-broker';
import type { AuditEvent } from '../../src/stores/store';
import { readAuditTrail } from './audit-trail';
import { FakeClock } from './fake-clock';
import { captureLogs } from './captured-logs';

export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
export const TEST_SIGNING_KEY = 'test-signing-key-0123456789abcdefghijklmnopqrstuvwxyz';

export interface Harness {
  /** The request listener (the token read's fast path, else Express): what supertest and http.createServer take. */
  app: RequestListener;
  /** The Express app behind it. */
  express: Express;
  config: Config;
  services: Services;
  store: Store;
  clock: FakeClock;
  metrics: Metrics;
  /** The broker behind the services: for tests that watch renewals and background writes. */
  broker: TokenBroker;
  /** Resolves when no renewal, load or background write of the broker is in flight. */
  idle(): Promise<void>;
  /** The audit trail of one environment, oldest first, read from the store's own table. */
  auditEvents(environment: string): Promise<AuditEvent[]>;
  /** Every log line the app wrote, as parsed JSON. */
  logs: Record<string, unknown>[];
  logText(): string;
  key(environment: string, role?: Role, organizationId?: number | null): Promise<string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** A MySQL url: the MySQL store on it; absent: the embedded store. */
  mysqlUrl?: string;
  env?: Record<string, string>;
  clock?: FakeClock;
  /** An origin (e.g. the FakeArcgis url) added to AUTH_URL_ALLOWLIST. */
  arcgisOrigin?: string;
  /** The jitter source of retry pauses and the scheduler's start; Math.random when absent. */
  random?: () => number;
  /** A seam for tests that must act between the services and the store: what the services get instead of the store. */
  wrapStore?: (store: Store) => Store;
}

/** The real app graph (config -> store -> services -> app) with a fake clock and captured logs. */
export function createHarness(options: HarnessOptions = {}): Harness {
  const clock = options.clock ?? new FakeClock();
  const config = loadConfig(
    {
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      ACCESS_TOKEN_SIGNING_KEY: TEST_SIGNING_KEY,
      AUTH_URL_ALLOWLIST: ['https://www.arcgis.com', 'https://*.arcgis.com', ...(options.arcgisOrigin ? [options.arcgisOrigin] : [])].join(
        ',',
      ),
      UPSTREAM_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'info',
      ...(options.mysqlUrl ? { MYSQL_URL: options.mysqlUrl } : {}),
      ...options.env,
    },
    () => Buffer.alloc(32, 9),
  );
  const { logger, logs, text: logText } = captureLogs(config.logLevel);
  const inner = options.mysqlUrl ? createMysqlStore(options.mysqlUrl, clock as Clock) : createMemoryStore(clock);
  const store = options.wrapStore ? options.wrapStore(inner) : inner;
  const metrics = createMetrics();
  const arcgis = createArcgisClient(config, clock, metrics);
  const broker = createTokenBroker(config, store, { clock, logger, metrics, arcgis, random: options.random });
  const services = createServices(config, store, { clock, logger, metrics, arcgis, broker, random: options.random });
  const { listener: app, express } = createApp({ config, services, logger, metrics });
  return {
    app,
    express,
    config,
    services,
    store,
    clock,
    metrics,
    broker,
    idle: () => broker.idle(),
    auditEvents: (environment) => readAuditTrail(store, environment),
    logs,
    logText,
    async key(environment, role = 'admin', organizationId = null) {
      const { key } = await services.access.createKey({ environment, role, organizationId, description: 'test' }, 'test');
      return key;
    },
    async close() {
      await services.drain();
      await store.close();
    },
  };
}
