import { createMetrics } from '../../src/metrics';

/** The service's metrics: names, help, types and label sets are part of what dashboards and alerts read. */

const FLEET =
  ', in every environment. Fleet-wide: read from the shared database, so every instance reports the same value; aggregate with max, not sum';

type Described = { help: string; labelNames: string[]; upperBounds?: number[] };

const EXPECTED: [name: string, type: string, help: string, labels: string[], buckets: number[] | null][] = [
  ['mtp_http_requests_total', 'counter', 'HTTP requests by route pattern, method and status', ['route', 'method', 'status'], null],
  [
    'mtp_http_request_duration_seconds',
    'histogram',
    'HTTP request duration by route pattern and method',
    ['route', 'method'],
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  ],
  ['mtp_arcgis_calls_total', 'counter', 'Calls to ArcGIS token URLs by outcome (ok, rejected, error, timeout)', ['outcome'], null],
  [
    'mtp_arcgis_call_duration_seconds',
    'histogram',
    'Duration of calls to ArcGIS token URLs',
    ['outcome'],
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  ],
  [
    'mtp_token_cache_total',
    'counter',
    'Token reads by cache result: hit (served from the process), miss (store read or refresh needed)',
    ['result'],
    null,
  ],
  [
    'mtp_token_refreshes_total',
    'counter',
    'Token refreshes by outcome: fetched, merged (joined a refresh in flight), reused (another instance had refreshed), failed',
    ['outcome'],
    null,
  ],
  [
    'mtp_stale_token_fallbacks_total',
    'counter',
    'Times the service kept handing out an unexpired token because its renewal failed (stale-if-error) or the store was unreachable: once per failure, not per read',
    [],
    null,
  ],
  [
    'mtp_stale_tokens_served_total',
    'counter',
    'Deprecated, removed in the next release: use mtp_stale_token_fallbacks_total, the same count under the name of what it counts',
    [],
    null,
  ],
  ['mtp_token_read_waits_total', 'counter', 'Token reads that waited for ArcGIS because no unexpired token was at hand', [], null],
  ['mtp_store_unavailable_total', 'counter', 'Operations that found the store (MySQL) unreachable', [], null],
  ['mtp_db_pool_connections', 'gauge', 'MySQL pool connections by state (in_use, idle, waiting requests)', ['state'], null],
  [
    'mtp_renewals_in_flight',
    'gauge',
    'Renewals the scheduler of this instance has in flight (at most RENEWAL_CONCURRENCY); per instance: sum over the fleet',
    [],
    null,
  ],
  ['mtp_map_tokens_failing', 'gauge', `Map tokens whose last renewal failed (lastRefreshError set)${FLEET}`, [], null],
  [
    'mtp_renewals_due',
    'gauge',
    `The renewal backlog: in-use map tokens (all of them with REFRESH_AHEAD=all) past their refresh point and not renewed yet${FLEET}`,
    [],
    null,
  ],
  [
    'mtp_static_tokens_expiring',
    'gauge',
    `Static map tokens whose token_Expire_Date falls within STATIC_TOKEN_WARN_DAYS or has passed${FLEET}`,
    [],
    null,
  ],
];

describe('createMetrics', () => {
  it.each(EXPECTED)('%s is a %s with its help text, label names and buckets', async (name, type, help, labels, buckets) => {
    const metrics = createMetrics();
    const metric = metrics.registry.getSingleMetric(name) as unknown as Described | undefined;
    expect(metric).toBeDefined();
    expect((await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name)?.type).toBe(type);
    expect(metric?.help).toBe(help);
    expect([...(metric?.labelNames ?? [])]).toEqual(labels);
    if (buckets) expect(metric?.upperBounds).toEqual(buckets);
  });

  it('keeps its own registry, with the process metrics, so that two apps in one process do not collide', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.readWaits.inc();
    expect(a.registry).not.toBe(b.registry);
    expect(await b.registry.getSingleMetricAsString('mtp_token_read_waits_total')).toMatch(/ 0$/);
    expect(await a.registry.metrics()).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('reads the pool gauge from its source at each scrape, and nothing without one', async () => {
    const metrics = createMetrics();
    expect(await metrics.registry.getSingleMetricAsString('mtp_db_pool_connections')).not.toMatch(/state=/);
    let stats: { inUse: number; idle: number; waiting: number } | null = null;
    metrics.observePool(() => stats);
    expect(await metrics.registry.getSingleMetricAsString('mtp_db_pool_connections')).not.toMatch(/state=/);
    stats = { inUse: 3, idle: 2, waiting: 1 };
    const text = await metrics.registry.getSingleMetricAsString('mtp_db_pool_connections');
    expect(text).toContain('mtp_db_pool_connections{state="in_use"} 3');
    expect(text).toContain('mtp_db_pool_connections{state="idle"} 2');
    expect(text).toContain('mtp_db_pool_connections{state="waiting"} 1');
  });

  it('reads the renewals in flight from the scheduler at each scrape, 0 without one', async () => {
    const metrics = createMetrics();
    const scrape = () => metrics.registry.getSingleMetricAsString('mtp_renewals_in_flight');
    expect(await scrape()).toMatch(/^mtp_renewals_in_flight 0$/m);
    let running = 3;
    metrics.observeRenewalsInFlight(() => running);
    expect(await scrape()).toMatch(/^mtp_renewals_in_flight 3$/m);
    running = 1;
    expect(await scrape()).toMatch(/^mtp_renewals_in_flight 1$/m);
  });

  it.each([
    ['mtp_map_tokens_failing', 'observeFailing'],
    ['mtp_renewals_due', 'observeRenewalsDue'],
    ['mtp_static_tokens_expiring', 'observeStaticExpiring'],
  ] as const)('reads %s at each scrape and keeps the last value while its source fails', async (name, observe) => {
    const metrics = createMetrics();
    const scrape = () => metrics.registry.getSingleMetricAsString(name);
    expect(await scrape()).toMatch(new RegExp(`^${name} 0$`, 'm'));
    let next: () => Promise<number> = async () => 4;
    metrics[observe](() => next());
    expect(await scrape()).toMatch(new RegExp(`^${name} 4$`, 'm'));
    next = () => Promise.reject(new Error('store away'));
    expect(await scrape()).toMatch(new RegExp(`^${name} 4$`, 'm'));
    next = async () => 0;
    expect(await scrape()).toMatch(new RegExp(`^${name} 0$`, 'm'));
  });

  it('the deprecated stale count repeats the fallbacks count at each scrape', async () => {
    const metrics = createMetrics();
    metrics.staleFallbacks.inc(3);
    expect(await metrics.registry.getSingleMetricAsString('mtp_stale_tokens_served_total')).toMatch(/^mtp_stale_tokens_served_total 3$/m);
    metrics.staleFallbacks.inc();
    expect(await metrics.registry.getSingleMetricAsString('mtp_stale_tokens_served_total')).toMatch(/^mtp_stale_tokens_served_total 4$/m);
  });
});
