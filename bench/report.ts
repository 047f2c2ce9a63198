import * as os from 'node:os';
import type { LoadResult, StormResult } from './load';

export interface Machine {
  os: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  database: string;
  date: string;
  loadAtStart: number;
  loadAtEnd: number;
}

export function describeMachine(databaseVersion: string, loadAtStart: number): Machine {
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGb: os.totalmem() / 1024 ** 3,
    node: process.version,
    database: databaseVersion,
    date: new Date().toISOString(),
    loadAtStart,
    loadAtEnd: os.loadavg()[0] ?? NaN,
  };
}

export interface Settings {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  soakSeconds: number;
  stormRequests: number;
  stormDelayMs: number;
  rolloverSeconds: number;
  rolloverConnections: number;
}

interface Scenario {
  name: string;
  result: LoadResult;
}

export interface Storm {
  instances: number;
  arcgisCalls: number;
  result: StormResult;
}

/** Steady reads across several short token lifetimes while ArcGIS answers slowly (refresh ahead). */
export interface Rollover {
  lifetimeSeconds: number;
  arcgisDelayMs: number;
  result: LoadResult;
  /** The same instance and load on a token that is not renewed during the run. */
  cacheHit: LoadResult;
  arcgisCalls: number;
  /** mtp_token_read_waits_total over the run. */
  waits: number;
}

export interface Memory {
  atStartMb: number;
  beforeSoakMb: number;
  peakMb: number;
  afterSoakMb: number;
  samples: number[];
}

export interface Report {
  machine: Machine;
  settings: Settings;
  tokenRead: Scenario;
  /** The token read with a reader key bound to an origin and limited in reads (sent from that origin, under its limit). */
  boundRead: Scenario;
  bareExpress: Scenario;
  /** An Express route on @esri/arcgis-rest-request's ApplicationCredentialsManager.getToken(). */
  esriHelper: Scenario;
  bareNode: Scenario;
  soak: Scenario;
  storms: Storm[];
  rollover: Rollover;
  memory: Memory;
  serviceLogs: { warn: number; error: number };
}

/** Growth over the soak that still counts as flat. */
const FLAT_MEMORY_PERCENT = 10;
const TARGET_RATIO = 0.8;
/** The token read against the bare Express route, since the read was answered in front of Express. */
const TARGET_FAST_RATIO = 1.3;
/** A bound and limited key's read against the plain read: its rules may cost at most 10 %. */
const TARGET_BOUND_RATIO = 0.9;
const TARGET_ESRI_RATIO = 1.0;
const TARGET_P99_MS = 20;
const ROLLOVER_MAX_FACTOR = 2;

const sign = (value: number) => (value >= 0 ? '+' : '');

/** RSS samples taken every second: the mean of the first and last quarter, and the least-squares slope. */
function memoryTrend(samples: number[]): { firstMb: number; lastMb: number; growthPct: number; slopeMbPerMinute: number } {
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const firstMb = mean(samples.slice(0, quarter));
  const lastMb = mean(samples.slice(-quarter));
  const xs = samples.map((_, i) => i);
  const mx = mean(xs);
  const my = mean(samples);
  const sxx = xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
  const slope = sxx > 0 ? xs.reduce((sum, x, i) => sum + (x - mx) * ((samples[i] ?? my) - my), 0) / sxx : NaN;
  return { firstMb, lastMb, growthPct: (100 * (lastMb - firstMb)) / firstMb, slopeMbPerMinute: slope * 60 };
}

const f = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

export function renderReport(r: Report): string {
  const express = r.bareExpress.result.rps;
  const node = r.bareNode.result.rps;
  const esri = r.esriHelper.result.rps;
  const loadRow = ({ name, result }: Scenario) =>
    `| ${name} | ${f(result.rps)} | ${f(result.p50, 2)} | ${f(result.p99, 2)} | ${result.non2xx} | ${result.errors} | ${f(result.rps / express, 2)} | ${f(result.rps / esri, 2)} | ${f(result.rps / node, 2)} | ` +
    `${f(result.serverCpuUsPerRequest)} | ${f(result.serverCpuPercent)} | ${f(result.machineBusyPercent)} |`;
  const growth = r.memory.afterSoakMb - r.memory.beforeSoakMb;
  const growthPct = (100 * growth) / r.memory.beforeSoakMb;
  const trend = memoryTrend(r.memory.samples);
  const s = r.settings;
  const m = r.machine;
  const ratio = r.tokenRead.result.rps / express;
  const esriRatio = r.tokenRead.result.rps / esri;
  const cpuRatio = r.tokenRead.result.serverCpuUsPerRequest / r.bareExpress.result.serverCpuUsPerRequest;
  const boundRatio = r.boundRead.result.rps / r.tokenRead.result.rps;
  const boundCpu = r.boundRead.result.serverCpuUsPerRequest / r.tokenRead.result.serverCpuUsPerRequest;
  const loadClean = [r.tokenRead, r.boundRead, r.soak].every(({ result }) => result.non2xx === 0 && result.errors === 0);
  const check = (ok: boolean) => (ok ? 'met' : '**not met**');

  return [
    '# map-token-proxy benchmark',
    '',
    `Each load scenario ran for ${s.durationSeconds} s after a ${s.warmupSeconds} s warm-up, with ${s.connections} connections (autocannon, one`,
    'process), one scenario at a time. The service ran as its own process (`node dist/src/server.js`) on MySQL/MariaDB with',
    'LOG_LEVEL=info; every middleware on (request id, request logs (pino), Prometheus metrics, helmet, CORS, atr-* header',
    'validation, subscription-key authentication). Latency percentiles are over every response of the measured run.',
    '',
    '## Throughput and latency',
    '',
    '| scenario | req/s | p50 ms | p99 ms | non-2xx | errors | x bare Express | x Esri helper | x bare node:http | server CPU µs/req | server CPU % | machine busy % |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    loadRow(r.tokenRead),
    loadRow(r.boundRead),
    loadRow(r.bareExpress),
    loadRow(r.esriHelper),
    loadRow(r.bareNode),
    loadRow(r.soak),
    '',
    '"server CPU µs/req" is the server process\'s user+system CPU time per answer; "server CPU %" is of one core;',
    '"machine busy %" is of all cores (load generator, server, database and anything else running).',
    `By CPU cost, the token read costs ${f(cpuRatio, 2)}x the bare Express route and ${f(r.tokenRead.result.serverCpuUsPerRequest / r.bareNode.result.serverCpuUsPerRequest, 2)}x bare node:http`,
    `per request (the throughput ratio an otherwise idle core would give: ${f(1 / cpuRatio, 2)}x the bare Express route).`,
    `The bound and limited key (\`--allowed-origin\`, sent from that origin, and a \`--rate-limit\` it stays under) reads at ${f(boundRatio, 2)}x`,
    `the plain key's throughput, at ${f(boundCpu, 2)}x its CPU time per request: the cost of its origin check and token bucket.`,
    'The Esri helper is an Express 5 route calling `ApplicationCredentialsManager.getToken()` of `@esri/arcgis-rest-request`,',
    'its token fetched once from the same ArcGIS stand-in and then held in memory, answering the same fields: what one would',
    'write without this service (no keys, environments, security headers, logs or metrics).',
    '',
    '## Cold storm: concurrent reads of an expired token',
    '',
    `${s.stormRequests} GETs sent at once (one connection each) to a token whose stored copy had expired; the ArcGIS`,
    `stand-in answers after ${s.stormDelayMs} ms. Instances share the database; requests are spread round-robin.`,
    'Listen-queue overflows are connections the kernel dropped while the listen queue (511 in Node) was full; the',
    'client retries them after about a second, which shows in the wall time, not in the statuses.',
    '',
    '| instances | requests | ArcGIS calls | non-200 | wall ms | listen-queue overflows | statuses |',
    '|---:|---:|---:|---:|---:|---:|---|',
    ...r.storms.map(
      ({ instances, arcgisCalls, result }) =>
        `| ${instances} | ${result.requests} | ${arcgisCalls} | ${result.non200} | ${f(result.wallMs)} | ${result.listenOverflows} | ${Object.entries(
          result.statuses,
        )
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ')} |`,
    ),
    '',
    '## Rollover: steady reads across token lifetimes, ArcGIS slow',
    '',
    `The stand-in grants ${r.rollover.lifetimeSeconds} s tokens (margin ${f(r.rollover.lifetimeSeconds * 0.2, 1)} s, renewed ${f(r.rollover.lifetimeSeconds * 0.4, 1)} s before expiry) and answers`,
    `after ${r.rollover.arcgisDelayMs} ms. One instance (REFRESH_AHEAD=in-use, the default) is read for ${s.rolloverSeconds} s with ${s.rolloverConnections} connections, from the first fetch on.`,
    '',
    '| scenario | requests | p50 ms | p99 ms | max ms | non-2xx | reads that waited | ArcGIS calls | lifetimes covered |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| rollover | ${r.rollover.result.requests} | ${f(r.rollover.result.p50, 2)} | ${f(r.rollover.result.p99, 2)} | ${f(r.rollover.result.max, 2)} | ${r.rollover.result.non2xx} | ${r.rollover.waits} | ${r.rollover.arcgisCalls} | ${f(s.rolloverSeconds / r.rollover.lifetimeSeconds, 1)} |`,
    `| cache hit, same instance and load, a 2-hour token | ${r.rollover.cacheHit.requests} | ${f(r.rollover.cacheHit.p50, 2)} | ${f(r.rollover.cacheHit.p99, 2)} | ${f(r.rollover.cacheHit.max, 2)} | ${r.rollover.cacheHit.non2xx} | | | |`,
    '',
    '## Memory of the service process (RSS)',
    '',
    '| moment | RSS MB |',
    '|---|---:|',
    `| after start and setup | ${f(r.memory.atStartMb, 1)} |`,
    `| before the ${s.soakSeconds} s soak (after the measured runs) | ${f(r.memory.beforeSoakMb, 1)} |`,
    `| peak during the soak (sampled every second) | ${f(r.memory.peakMb, 1)} |`,
    `| after the soak | ${f(r.memory.afterSoakMb, 1)} |`,
    `| growth over the soak, after minus before | ${sign(growth)}${f(growth, 1)} MB (${sign(growthPct)}${f(growthPct, 1)} %) |`,
    `| mean of the first quarter of the soak's samples | ${f(trend.firstMb, 1)} |`,
    `| mean of the last quarter of the soak's samples | ${f(trend.lastMb, 1)} |`,
    `| growth, last quarter against first | ${sign(trend.growthPct)}${f(trend.growthPct, 1)} % |`,
    `| least-squares slope over the soak | ${sign(trend.slopeMbPerMinute)}${f(trend.slopeMbPerMinute, 1)} MB/min |`,
    '',
    `RSS during the soak, every 5 s (MB): ${r.memory.samples
      .filter((_, i) => i % 5 === 4)
      .map((mb) => f(mb))
      .join(', ')}.`,
    '',
    'RSS moves with the garbage collector (a sawtooth of tens of MB under load), so two single readings can differ',
    'by chance; the quarter means and the slope over all samples say whether memory grows.',
    '',
    `Service log lines at warn level: ${r.serviceLogs.warn}; at error level or above: ${r.serviceLogs.error}.`,
    '',
    '## Targets',
    '',
    `- token read >= ${TARGET_RATIO}x the bare Express route: ${f(ratio, 2)}x, ${check(ratio >= TARGET_RATIO)}`,
    `- token read >= ${TARGET_FAST_RATIO}x the bare Express route (its fast path): ${f(ratio, 2)}x, ${check(ratio >= TARGET_FAST_RATIO)}`,
    `- token read with a bound and limited key >= ${TARGET_BOUND_RATIO}x the plain token read: ${f(boundRatio, 2)}x, ${check(boundRatio >= TARGET_BOUND_RATIO)}`,
    `- token read >= ${TARGET_ESRI_RATIO.toFixed(1)}x the Esri helper route: ${f(esriRatio, 2)}x, ${check(esriRatio >= TARGET_ESRI_RATIO)}`,
    `- token read p99 no worse than the bare Express route's (${f(r.bareExpress.result.p99, 2)} ms): ${f(r.tokenRead.result.p99, 2)} ms, ${check(r.tokenRead.result.p99 <= r.bareExpress.result.p99)}`,
    `- token read p99 < ${TARGET_P99_MS} ms at ${s.connections} connections: ${f(r.tokenRead.result.p99, 2)} ms, ${check(r.tokenRead.result.p99 < TARGET_P99_MS)}`,
    `- zero non-2xx and errors on the token read and the soak: ${check(loadClean)}`,
    `- one ArcGIS call per storm: ${r.storms.map((storm) => storm.arcgisCalls).join(' and ')}, ${check(r.storms.every((storm) => storm.arcgisCalls === 1 && storm.result.non200 === 0))}`,
    `- rollover: no read waits for ArcGIS after the first fetch: ${r.rollover.waits}, ${check(r.rollover.waits === 0)}`,
    `- rollover: max latency within ${ROLLOVER_MAX_FACTOR}x the cache-hit p99 (${f(ROLLOVER_MAX_FACTOR * r.rollover.cacheHit.p99, 2)} ms): ${f(r.rollover.result.max, 2)} ms, ${check(r.rollover.result.max <= ROLLOVER_MAX_FACTOR * r.rollover.cacheHit.p99)}`,
    `- flat memory over the soak (last quarter's mean RSS within ${FLAT_MEMORY_PERCENT} % of the first quarter's): ${sign(trend.growthPct)}${f(trend.growthPct, 1)} %, ${check(trend.growthPct < FLAT_MEMORY_PERCENT)}`,
    '',
    '## Machine',
    '',
    `- ${m.os}; ${m.cpu}, ${m.cores} cores; ${f(m.memoryGb, 1)} GB memory`,
    `- Node ${m.node}; database ${m.database}`,
    `- ${m.date}; 1-minute load average ${f(m.loadAtStart, 2)} at the start, ${f(m.loadAtEnd, 2)} at the end`,
    '- the load generator, the service and the database share this machine' +
      (Math.max(m.loadAtStart, m.loadAtEnd) > m.cores
        ? '; other work was running on it too (load average above the core count), so absolute numbers are low and vary from run to run; the CPU time per request varies least'
        : ''),
    '',
  ].join('\n');
}
