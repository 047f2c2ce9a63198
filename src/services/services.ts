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
import { KeyRules } from './key-rules';
import { KeyUsage } from './key-usage';
import { MapTokenService } from './map-token-service';
import { ReadLimiter } from './read-limiter';
import { RenewalScheduler } from './renewal-scheduler';
import { TokenBroker } from './token-broker';
import { UsageRecorder } from './usage-recorder';

export interface Services {
  store: Store;
  access: AccessService;
  clients: ClientCredentialsService;
  mapTokens: MapTokenService;
  keyRotation: KeyRotationService;
  /** Origin binding, read limits and usage of keys and clients, checked after authentication on every route. */
  keyRules: KeyRules;
  /** Writes each key's lastUsedAt in the background; started by server.ts after listen(). */
  keyUsage: KeyUsage;
  /** REFRESH_AHEAD=in-use or all: renews tokens before reads need them; started by server.ts after listen(). null with on-read. */
  scheduler: RenewalScheduler | null;
  /** Counts token reads and writes them in batches; started by server.ts after listen(), flushed by drain(). */
  usage: UsageRecorder;
  /**
   * Stops the scheduler, waits for the renewals and background writes in flight (so no fetched token is
   * lost), writes the usage counted so far, then drops the ArcGIS client's idle keep-alive sockets. The
   * last call before the store closes.
   */
  drain(): Promise<void>;
}

/** How the scheduler runs besides RENEWAL_CONCURRENCY: an indexed query at least once a second, a start spread over 5 s. */
const SCHEDULER = { intervalMs: 1000, startJitterMs: 5000 };

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
  const keyUsage = new KeyUsage({ store, clock, logger, metrics });
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
  metrics.observeRenewalsInFlight(() => scheduler?.inFlight ?? 0);
  metrics.observeRenewalsDue(() => {
    const now = clock.now();
    return store.mapTokens.countDue(now, config.refreshAhead === 'all' ? undefined : now - idleWindowMs);
  });
  const usage = new UsageRecorder({ store, clock, logger, metrics });
  const services: Services = {
    store,
    scheduler,
    clients,
    access: new AccessService(store, clock, clients, { cacheTtlMs, cacheMaxEntries: config.cacheMaxEntries }),
    usage,
    mapTokens: new MapTokenService(
      store,
      broker,
      clock,
      { box, arcgis, allowlist: config.authUrlAllowlist, clock },
      staticTokenWarnMs,
      usage,
    ),
    keyRotation: new KeyRotationService(store, box),
    keyRules: new KeyRules(new ReadLimiter(clock, config.cacheMaxEntries), keyUsage),
    keyUsage,
    async drain() {
      await scheduler?.stop();
      await broker.idle();
      await keyUsage.stop();
      await usage.stop();
      arcgis.close();
    },
  };
  return services;
}
