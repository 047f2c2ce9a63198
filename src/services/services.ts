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

export interface Services {
  store: Store;
  access: AccessService;
  clients: ClientCredentialsService;
  mapTokens: MapTokenService;
  keyRotation: KeyRotationService;
  /** REFRESH_AHEAD=all: renews unread tokens too; started by server.ts after listen(). null with on-read. */
  scheduler: RenewalScheduler | null;
  /** Stops the scheduler and waits for the renewals and background writes in flight, so no fetched token is lost. */
  drain(): Promise<void>;
}

/** How the scheduler runs (not configurable: one indexed query a second, a few renewals at once). */
const SCHEDULER = { intervalMs: 1000, concurrency: 4, startJitterMs: 5000 };

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
  const staticTokenWarnMs = config.staticTokenWarnDays * 86_400_000;
  metrics.observeStaticExpiring(() => store.mapTokens.countStaticExpiring(clock.now() + staticTokenWarnMs));
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
  const scheduler =
    config.refreshAhead === 'all' ? new RenewalScheduler(store, broker, clock, logger, { ...SCHEDULER, random: deps.random }) : null;
  const services: Services = {
    store,
    scheduler,
    clients,
    access: new AccessService(store, clock, clients, { cacheTtlMs, cacheMaxEntries: config.cacheMaxEntries }),
    mapTokens: new MapTokenService(store, broker, clock, { box, arcgis, allowlist: config.authUrlAllowlist, clock }, staticTokenWarnMs),
    keyRotation: new KeyRotationService(store, box),
    async drain() {
      await scheduler?.stop();
      await broker.idle();
    },
  };
  return { services, broker };
}
