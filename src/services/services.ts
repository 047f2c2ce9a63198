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
  /**
   * Stops the scheduler and waits for the renewals and background writes in flight, so no fetched token is
   * lost; then drops the ArcGIS client's idle keep-alive sockets. The last call before the store closes.
   */
  drain(): Promise<void>;
}

/** How the scheduler runs (not configurable: one indexed query a second, a few renewals at once). */
const SCHEDULER = { intervalMs: 1000, concurrency: 4, startJitterMs: 5000 };

export interface ServiceDeps {
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** The ArcGIS client; by default createArcgisClient's. */
  arcgis?: ArcgisClient;
  /**
   * The token broker, built with createTokenBroker on the same store and `arcgis`; by default one is built.
   * A test that watches renewals (`broker.idle()`) passes its own: the graph has no other way in.
   */
  broker?: TokenBroker;
  random?: () => number;
}

/** The one outbound client, with the config's timeout and allowlist, counted in the metrics. */
export function createArcgisClient(config: Config, clock: Clock, metrics: Metrics): ArcgisClient {
  return new ArcgisClient({
    timeoutMs: config.upstreamTimeoutMs,
    allowlist: config.authUrlAllowlist,
    now: () => clock.now(),
    onCall: (outcome, durationMs) => {
      metrics.arcgisCalls.inc({ outcome });
      metrics.arcgisDuration.observe({ outcome }, durationMs / 1000);
    },
  });
}

/** The token broker of the config (cache size and TTL, ArcGIS's timeout) over the store and `arcgis`. */
export function createTokenBroker(
  config: Config,
  store: Store,
  deps: Pick<ServiceDeps, 'clock' | 'logger' | 'metrics' | 'random'> & { arcgis: ArcgisClient },
): TokenBroker {
  const { clock, logger, metrics } = deps;
  return new TokenBroker(store, deps.arcgis, new SecretBox(config.encryptionKeys), clock, logger, metrics, {
    cacheTtlMs: config.cacheTtlSeconds * 1000,
    cacheMaxEntries: config.cacheMaxEntries,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    random: deps.random,
  });
}

/** The rules of the app: one graph per app, nothing global, time and ArcGIS injected. */
export function createServices(config: Config, store: Store, deps: ServiceDeps): Services {
  const { clock, logger, metrics } = deps;
  metrics.observePool(() => store.poolStats());
  metrics.observeFailing(() => store.mapTokens.countFailing());
  const staticTokenWarnMs = config.staticTokenWarnDays * 86_400_000;
  metrics.observeStaticExpiring(() => store.mapTokens.countStaticExpiring(clock.now() + staticTokenWarnMs));
  const box = new SecretBox(config.encryptionKeys);
  const cacheTtlMs = config.cacheTtlSeconds * 1000;
  const arcgis = deps.arcgis ?? createArcgisClient(config, clock, metrics);
  const broker = deps.broker ?? createTokenBroker(config, store, { ...deps, arcgis });
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
      arcgis.close();
    },
  };
  return services;
}
