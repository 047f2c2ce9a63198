import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric the service exports, on a registry of its own (no global default registry, so tests
 * and several apps in one process do not collide). Labels are bounded sets: never an id, key or token.
 */
export function createMetrics() {
  const registry = new Registry();
  let poolSource: () => { inUse: number; idle: number; waiting: number } | null = () => null;
  let failingSource: () => Promise<number> = async () => 0;
  let lastFailing = 0;
  let dueSource: () => Promise<number> = async () => 0;
  let lastDue = 0;
  collectDefaultMetrics({ register: registry });
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
    staleServed: new Counter({
      name: 'mtp_stale_tokens_served_total',
      help: 'Tokens served past their refresh margin because a refresh failed (stale-if-error) or the store was unreachable',
      registers: [registry],
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
    mapTokensFailing: new Gauge({
      name: 'mtp_map_tokens_failing',
      help: 'Map tokens whose last renewal failed (lastRefreshError set), in every environment; fleet-wide, read from MySQL: aggregate instances with max, not sum',
      registers: [registry],
      // registered after the pool gauge, so that the pool is read before this query takes a connection
      async collect() {
        // read at each scrape; while the store is away the last known count stands
        lastFailing = await failingSource().catch(() => lastFailing);
        this.set(lastFailing);
      },
    }),
    renewalsDue: new Gauge({
      name: 'mtp_renewals_due',
      help: 'The renewal backlog: in-use map tokens (all of them with REFRESH_AHEAD=all) past their refresh point and not renewed yet, in every environment; fleet-wide, read from MySQL: aggregate instances with max, not sum',
      registers: [registry],
      async collect() {
        // read at each scrape; while the store is away the last known count stands
        lastDue = await dueSource().catch(() => lastDue);
        this.set(lastDue);
      },
    }),
    /** Where the renewal backlog gauge reads from, at each scrape. */
    observeRenewalsDue(source: () => Promise<number>) {
      dueSource = source;
    },
    /** Where the failing-tokens gauge reads from, at each scrape. */
    observeFailing(source: () => Promise<number>) {
      failingSource = source;
    },
    /** Where the pool gauge reads from, read at each scrape. */
    observePool(source: () => { inUse: number; idle: number; waiting: number } | null) {
      poolSource = source;
    },
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
