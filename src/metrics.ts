import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric the service exports, on a registry of its own (no global default registry, so tests
 * and several apps in one process do not collide). Labels are bounded sets: never an id, key or token.
 */
export function createMetrics() {
  const registry = new Registry();
  let poolSource: () => { inUse: number; idle: number; waiting: number } | null = () => null;
  let inFlightSource: () => number = () => 0;
  collectDefaultMetrics({ register: registry });
  const staleFallbacks = new Counter({
    name: 'mtp_stale_token_fallbacks_total',
    help: 'Times the service kept handing out an unexpired token because its renewal failed (stale-if-error) or the store was unreachable: once per failure, not per read',
    registers: [registry],
  });
  const metrics = {
    registry,
    httpRequests: new Counter({
      name: 'mtp_http_requests_total',
      help: 'HTTP requests by route pattern, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'mtp_http_request_duration_seconds',
      help: 'HTTP request duration by route pattern and method',
      labelNames: ['route', 'method'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    arcgisCalls: new Counter({
      name: 'mtp_arcgis_calls_total',
      help: 'Calls to ArcGIS token URLs by outcome (ok, rejected, error, timeout)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    arcgisDuration: new Histogram({
      name: 'mtp_arcgis_call_duration_seconds',
      help: 'Duration of calls to ArcGIS token URLs',
      labelNames: ['outcome'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    tokenCache: new Counter({
      name: 'mtp_token_cache_total',
      help: 'Token reads by cache result: hit (served from the process), miss (store read or refresh needed)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    refreshes: new Counter({
      name: 'mtp_token_refreshes_total',
      help: 'Token refreshes by outcome: fetched, merged (joined a refresh in flight), reused (another instance had refreshed), failed',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    staleFallbacks,
    /** The old name of staleFallbacks, kept one release for dashboards and alerts; it never counted tokens served. */
    deprecatedStaleServed: new Counter({
      name: 'mtp_stale_tokens_served_total',
      help: 'Deprecated, removed in the next release: use mtp_stale_token_fallbacks_total, the same count under the name of what it counts',
      registers: [registry],
      async collect() {
        const [current] = (await staleFallbacks.get()).values;
        this.reset();
        this.inc(current?.value ?? 0);
      },
    }),
    readWaits: new Counter({
      name: 'mtp_token_read_waits_total',
      help: 'Token reads that waited for ArcGIS because no unexpired token was at hand',
      registers: [registry],
    }),
    storeErrors: new Counter({
      name: 'mtp_store_unavailable_total',
      help: 'Operations that found the store (MySQL) unreachable',
      registers: [registry],
    }),
    poolConnections: new Gauge({
      name: 'mtp_db_pool_connections',
      help: 'MySQL pool connections by state (in_use, idle, waiting requests)',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        const stats = poolSource();
        if (!stats) return;
        this.set({ state: 'in_use' }, stats.inUse);
        this.set({ state: 'idle' }, stats.idle);
        this.set({ state: 'waiting' }, stats.waiting);
      },
    }),
    renewalsInFlight: new Gauge({
      name: 'mtp_renewals_in_flight',
      help: 'Renewals the scheduler of this instance has in flight (at most RENEWAL_CONCURRENCY); per instance: sum over the fleet',
      registers: [registry],
      collect() {
        this.set(inFlightSource());
      },
    }),
    /** Where the in-flight gauge reads from, at each scrape. */
    observeRenewalsInFlight(source: () => number) {
      inFlightSource = source;
    },
    /** Where the pool gauge reads from, read at each scrape. */
    observePool(source: () => { inUse: number; idle: number; waiting: number } | null) {
      poolSource = source;
    },
  };
  // registered after the pool gauge, so that the pool is read before their queries take a connection
  const failing = fleetGauge(registry, 'mtp_map_tokens_failing', 'Map tokens whose last renewal failed (lastRefreshError set)');
  const expiring = fleetGauge(
    registry,
    'mtp_static_tokens_expiring',
    'Static map tokens whose token_Expire_Date falls within STATIC_TOKEN_WARN_DAYS or has passed',
  );
  const renewalsDue = fleetGauge(
    registry,
    'mtp_renewals_due',
    'The renewal backlog: in-use map tokens (all of them with REFRESH_AHEAD=all) past their refresh point and not renewed yet',
  );
  return {
    ...metrics,
    /** Where the failing-tokens gauge reads from, at each scrape. */
    observeFailing: failing,
    /** Where the renewal backlog gauge reads from, at each scrape. */
    observeRenewalsDue: renewalsDue,
    /** Where the expiring-static-tokens gauge reads from, at each scrape. */
    observeStaticExpiring: expiring,
  };
}

/**
 * A gauge of the whole fleet, counted in the shared store at each scrape (in every environment): every
 * instance reports the same value, which its help text says, so that dashboards take the max, not the
 * sum. While the store is away the last known count stands. Returns where to read it from.
 */
function fleetGauge(registry: Registry, name: string, what: string): (source: () => Promise<number>) => void {
  let source: () => Promise<number> = async () => 0;
  let last = 0;
  new Gauge({
    name,
    help: `${what}, in every environment. Fleet-wide: read from the shared database, so every instance reports the same value; aggregate with max, not sum`,
    registers: [registry],
    async collect() {
      last = await source().catch(() => last);
      this.set(last);
    },
  });
  return (read) => {
    source = read;
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
