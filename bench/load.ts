import * as http from 'node:http';
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import { busyPercent, listenOverflows, machineCpu, processCpuSeconds } from './cpu';

export interface LoadOptions {
  url: string;
  headers?: Record<string, string>;
  durationSeconds: number;
  connections: number;
  warmupSeconds: number;
  /** The server's pid: its CPU time over the measured run is recorded. */
  serverPid?: number;
}

export interface LoadResult {
  requests: number;
  /** autocannon's average of its per-second request counts. */
  rps: number;
  p50: number;
  p99: number;
  /** The slowest response of the run. */
  max: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statuses: Record<string, number>;
  /** CPU time of the server process per answered request, in microseconds. */
  serverCpuUsPerRequest: number;
  /** The server's CPU use over the run, in % of one core. */
  serverCpuPercent: number;
  /** How busy the whole machine was over the run, in % of all cores. */
  machineBusyPercent: number;
  /** 1-minute load average at the end of the run. */
  loadAverage: number;
}

/**
 * A warm-up run (discarded), then the measured run. Latency percentiles come from every response's
 * own duration (autocannon's histogram keeps whole milliseconds only, too coarse for a loopback).
 */
export async function measure(options: LoadOptions): Promise<LoadResult> {
  if (options.warmupSeconds > 0) await run({ ...options, durationSeconds: options.warmupSeconds });
  return run(options);
}

async function run(options: LoadOptions): Promise<LoadResult> {
  let times = new Float64Array(1 << 16);
  let count = 0;
  const cpuBefore = options.serverPid ? processCpuSeconds(options.serverPid) : NaN;
  const machineBefore = machineCpu();
  const started = process.hrtime.bigint();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url: options.url, headers: options.headers, connections: options.connections, duration: options.durationSeconds, timeout: 10 },
      (error: unknown, done: autocannon.Result) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      if (count === times.length) {
        const bigger = new Float64Array(times.length * 2);
        bigger.set(times);
        times = bigger;
      }
      times[count++] = responseTime;
    });
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const serverCpu = options.serverPid ? processCpuSeconds(options.serverPid) - cpuBefore : NaN;
  const machineBusy = busyPercent(machineBefore, machineCpu());
  const sorted = times.subarray(0, count).sort();
  const statuses: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = stat.count ?? 0;
  return {
    requests: count,
    rps: result.requests.average,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted[count - 1] ?? NaN,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
    serverCpuUsPerRequest: (serverCpu * 1e6) / count,
    serverCpuPercent: (100 * serverCpu) / seconds,
    machineBusyPercent: machineBusy,
    loadAverage: loadavg()[0] ?? NaN,
  };
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

export interface StormResult {
  requests: number;
  non200: number;
  statuses: Record<string, number>;
  wallMs: number;
  /** Connections the kernel dropped meanwhile because a listen queue was full (then retried by the client). */
  listenOverflows: number;
}

/**
 * `total` GETs sent at once, each on its own connection, spread round-robin over `baseUrls`; resolves
 * when every one has answered (or failed: a failure counts under its error code).
 */
export async function storm(baseUrls: string[], path: string, headers: Record<string, string>, total: number): Promise<StormResult> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const statuses: Record<string, number> = {};
  const overflowsBefore = listenOverflows();
  const started = process.hrtime.bigint();
  const one = (url: string) =>
    new Promise<string>((resolve) => {
      const req = http.get(`${url}${path}`, { agent, headers, timeout: 30_000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.statusCode)));
        res.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
  const answers = await Promise.all(Array.from({ length: total }, (_, i) => one(baseUrls[i % baseUrls.length] ?? '')));
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  agent.destroy();
  for (const status of answers) statuses[status] = (statuses[status] ?? 0) + 1;
  return {
    requests: total,
    non200: total - (statuses['200'] ?? 0),
    statuses,
    wallMs,
    listenOverflows: listenOverflows() - overflowsBefore,
  };
}
