import { ArcgisClient } from '../arcgis/arcgis-client';
import type { Clock } from '../clock';
import type { Config } from '../config';
import { SecretBox } from '../crypto/secret-box';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Store } from '../stores/store';
import { AccessService } from './access-service';
import { ClientCredentialsService } from './client-credentials-service';
import { KeyRotationService } from './key-rotation-service';
import { MapTokenService } from './map-token-service';
import { RenewalScheduler } from './renewal-scheduler';
import { TokenBroker } from './token-broker';
import { UsageRecorder } from './usage-recorder';

export interface Services {
  store: Store;
  access: AccessService;
  clients: ClientCredentialsService;
  mapTokens: MapTokenService;
  keyRotation: KeyRotationService;
  /** REFRESH_AHEAD=in-use or all: renews tokens before reads need them; started by server.ts after listen(). null with on-read. */
  scheduler: RenewalScheduler | null;
  /** Counts token reads and writes them in batches; started by server.ts after listen(), flushed by drain(). */
  usage: UsageRecorder;
  /**
   * Stops the scheduler, waits for the renewals and background writes in flight (so no fetched token is
   * lost) and writes the usage counted so far.
   */
  drain(): Promise<void>;
}

/** How the scheduler runs besides RENEWAL_CONCURRENCY: an indexed query at least once a second, a start spread over 5 s. */
const SCHEDULER = { intervalMs: 1000, startJitterMs: 5000 };
/** Usage is written at least this often: SPEC allows it to be a minute behind; half leaves room for a slow write. */
const USAGE_FLUSH_INTERVAL_MS = 30_000;

export interface ServiceDeps {
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  arcgis?: ArcgisClient;
  random?: () => number;
}

/** The rules of the app: one graph per app, nothing global, time and ArcGIS injected. */
export function createServices(config: Config, store: Store, deps: ServiceDeps): Services {
  return createServicesAndBroker(config, store, deps).services;
}

/** The same graph, with the broker behind it for a caller that watches the broker itself (the test harness). */
export function createServicesAndBroker(config: Config, store: Store, deps: ServiceDeps): { services: Services; broker: TokenBroker } {
  const { clock, logger, metrics } = deps;
  metrics.observePool(() => store.poolStats());
  metrics.observeFailing(() => store.mapTokens.countFailing());
  const box = new SecretBox(config.encryptionKeys);
  const cacheTtlMs = config.cacheTtlSeconds * 1000;
  const arcgis =
    deps.arcgis ??
    new ArcgisClient({
      timeoutMs: config.upstreamTimeoutMs,
      allowlist: config.authUrlAllowlist,
      now: () => clock.now(),
      onCall: (outcome, durationMs) => {
        metrics.arcgisCalls.inc({ outcome });
        metrics.arcgisDuration.observe({ outcome }, durationMs / 1000);
      },
    });
  const broker = new TokenBroker(store, arcgis, box, clock, logger, metrics, {
    cacheTtlMs,
    cacheMaxEntries: config.cacheMaxEntries,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    random: deps.random,
  });
  const clients = new ClientCredentialsService(store, clock, config.accessTokenSigningKey, {
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    cacheTtlMs,
    cacheMaxEntries: config.cacheMaxEntries,
  });
  const idleWindowMs = Math.round(config.refreshAheadIdleHours * 3600_000);
  const scheduler =
    config.refreshAhead === 'on-read'
      ? null
      : new RenewalScheduler(store, broker, clock, logger, {
          ...SCHEDULER,
          concurrency: config.renewalConcurrency,
          idleWindowMs: config.refreshAhead === 'all' ? null : idleWindowMs,
          random: deps.random,
        });
  // the backlog of what the scheduler renews; with on-read, of the tokens in use
  metrics.observeRenewalsDue(() => {
    const now = clock.now();
    return store.mapTokens.countDue(now, config.refreshAhead === 'all' ? undefined : now - idleWindowMs);
  });
  const usage = new UsageRecorder(store, clock, logger, metrics, { flushIntervalMs: USAGE_FLUSH_INTERVAL_MS });
  const services: Services = {
    store,
    scheduler,
    clients,
    access: new AccessService(store, clock, clients, { cacheTtlMs, cacheMaxEntries: config.cacheMaxEntries }),
    usage,
    mapTokens: new MapTokenService(store, broker, clock, { box, arcgis, allowlist: config.authUrlAllowlist, clock }, usage),
    keyRotation: new KeyRotationService(store, box),
    async drain() {
      await scheduler?.stop();
      await broker.idle();
      await usage.stop();
    },
  };
  return { services, broker };
}
