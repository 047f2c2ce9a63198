import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import type { FakeArcgis } from '../test/support/fake-arcgis';
import type { BenchDatabase } from './database';
import { type Child, startChild } from './processes';
import { log } from './settings';

/**
 * Renewals at scale (SPEC "Renewal capacity grows with the fleet", REFRESH_AHEAD=in-use), on one instance
 * with the default settings (RENEWAL_CONCURRENCY 16) and an ArcGIS stand-in answering in 200 ms:
 * (a) 2,000 in-use agol tokens of 60 s, read steadily (all of them, in turn) for three lifetimes: reads
 *     that waited, ArcGIS calls per token per lifetime, the backlog gauge mtp_renewals_due;
 * (b) 20,000 stored, 1,000 of them in use (the rest untouched for two days, expired, due): ArcGIS calls
 *     over one lifetime.
 */

export interface RenewalBenchContext {
  db: BenchDatabase;
  arcgis: FakeArcgis;
  cwd: string;
  serviceEnv: Record<string, string>;
  adminHeaders: Record<string, string>;
  readerHeaders: Record<string, string>;
}

const RENEWAL_SETTINGS = {
  lifetimeSeconds: 60,
  arcgisDelayMs: 200,
  inUseTokens: 2000,
  lifetimes: 3,
  readsPerSecond: 400,
  readConnections: 16,
  storedTokens: 20_000,
  storedInUse: 1000,
};

interface Lifetime {
  arcgisCalls: number;
  callsPerToken: number;
  waits: number;
  reads: number;
  non2xx: number;
  dueMax: number;
  dueAtEnd: number;
  loadAverage: number;
}

export interface InUseResult {
  createSeconds: number;
  lifetimes: Lifetime[];
  p99: number;
  max: number;
}

export interface StoredResult {
  arcgisCalls: number;
  dueMax: number;
  dueAtEnd: number;
  loadAverage: number;
}

interface Sample {
  at: number;
  calls: number;
  waits: number;
  due: number;
}

export async function benchInUse(ctx: RenewalBenchContext): Promise<InUseResult> {
  const s = RENEWAL_SETTINGS;
  const child = await startChild({ name: 'renewals-in-use', script: 'src/server.js', env: ctx.serviceEnv, cwd: ctx.cwd });
  ctx.arcgis.lifetimeSeconds = s.lifetimeSeconds;
  try {
    const started = Date.now();
    const ids = await createTokens(child, ctx, s.inUseTokens);
    const createSeconds = (Date.now() - started) / 1000;
    log(`(a) ${ids.length} in-use tokens created in ${createSeconds.toFixed(1)} s; reading them for ${s.lifetimes} lifetimes`);
    ctx.arcgis.delayMs = s.arcgisDelayMs;
    const samples: Sample[] = [];
    const sampler = sample(child, ctx, samples);
    const lifetimes: Lifetime[] = [];
    let p99 = 0;
    let max = 0;
    let start = await scrape(child, ctx);
    for (let lifetime = 0; lifetime < s.lifetimes; lifetime += 1) {
      const result = await read(child, ctx, ids, s.lifetimeSeconds);
      const end = await scrape(child, ctx);
      const inside = samples.filter((one) => one.at >= start.at && one.at <= end.at);
      lifetimes.push({
        arcgisCalls: end.calls - start.calls,
        callsPerToken: (end.calls - start.calls) / ids.length,
        waits: end.waits - start.waits,
        reads: result.requests.total,
        non2xx: result.non2xx,
        dueMax: Math.max(end.due, ...inside.map((one) => one.due)),
        dueAtEnd: end.due,
        loadAverage: loadavg()[0] ?? NaN,
      });
      p99 = Math.max(p99, result.latency.p99);
      max = Math.max(max, result.latency.max);
      log(`(a) lifetime ${lifetime + 1}: ${JSON.stringify(lifetimes[lifetime])}`);
      start = end;
    }
    sampler.stop();
    return { createSeconds, lifetimes, p99, max };
  } finally {
    ctx.arcgis.delayMs = 0;
    ctx.arcgis.lifetimeSeconds = 7200;
    await child.stop();
    await ctx.db.deleteMapTokens();
  }
}

export async function benchStored(ctx: RenewalBenchContext): Promise<StoredResult> {
  const s = RENEWAL_SETTINGS;
  const child = await startChild({ name: 'renewals-stored', script: 'src/server.js', env: ctx.serviceEnv, cwd: ctx.cwd });
  ctx.arcgis.lifetimeSeconds = s.lifetimeSeconds;
  try {
    const ids = await createTokens(child, ctx, s.storedInUse);
    await ctx.db.cloneIdle(ids[0]!, s.storedTokens - s.storedInUse, Date.now() - 48 * 3600_000);
    log(`(b) ${s.storedTokens} stored, ${ids.length} in use; counting ArcGIS calls over one lifetime`);
    ctx.arcgis.delayMs = s.arcgisDelayMs;
    const samples: Sample[] = [await scrape(child, ctx)];
    const sampler = sample(child, ctx, samples);
    await new Promise((resolve) => setTimeout(resolve, s.lifetimeSeconds * 1000));
    sampler.stop();
    samples.push(await scrape(child, ctx));
    return {
      arcgisCalls: samples[samples.length - 1]!.calls - samples[0]!.calls,
      dueMax: Math.max(...samples.map((one) => one.due)),
      dueAtEnd: samples[samples.length - 1]!.due,
      loadAverage: loadavg()[0] ?? NaN,
    };
  } finally {
    ctx.arcgis.delayMs = 0;
    ctx.arcgis.lifetimeSeconds = 7200;
    await child.stop();
    await ctx.db.deleteMapTokens();
  }
}

/** PUTs `count` agol items in batches of 100, four batches at a time (the stand-in answers at once meanwhile). */
async function createTokens(child: Child, ctx: RenewalBenchContext, count: number): Promise<number[]> {
  const batches = Array.from({ length: Math.ceil(count / 100) }, (_, b) =>
    Array.from({ length: Math.min(100, count - b * 100) }, (_, i) => ({
      organization_ID: 1,
      authType: 'agol',
      authKey: `renewal-app-${b * 100 + i}`,
      authToken: `renewal-secret-${b * 100 + i}`,
      authTimeout: 1,
      authURL: ctx.arcgis.tokenUrl,
    })),
  );
  const ids: number[] = [];
  for (let next = 0; next < batches.length; next += 4) {
    const answers = await Promise.all(
      batches.slice(next, next + 4).map(async (items) => {
        const res = await fetch(`${child.url}/api/v1/admin/map-tokens`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', ...ctx.adminHeaders },
          body: JSON.stringify(items),
        });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`PUT answered ${res.status}: ${text}`);
        return (JSON.parse(text) as { result: { mapTokenID: number }[] }).result.map((item) => item.mapTokenID);
      }),
    );
    ids.push(...answers.flat());
  }
  return ids;
}

/** Steady reads over every token in turn, at RENEWAL_SETTINGS.readsPerSecond, for `seconds`. */
function read(child: Child, ctx: RenewalBenchContext, ids: number[], seconds: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: child.url,
        connections: RENEWAL_SETTINGS.readConnections,
        overallRate: RENEWAL_SETTINGS.readsPerSecond,
        duration: seconds,
        timeout: 10,
        requests: ids.map((id) => ({ method: 'GET', path: `/api/v1/map-tokens/${id}/token`, headers: ctx.readerHeaders })),
      },
      (error: unknown, result: autocannon.Result) => (error ? reject(error) : resolve(result)),
    );
  });
}

/** The service's counters and backlog gauge, and the stand-in's calls, every second. */
function sample(child: Child, ctx: RenewalBenchContext, samples: Sample[]): { stop(): void } {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    scrape(child, ctx)
      .then((one) => samples.push(one))
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, 1000);
  return { stop: () => clearInterval(timer) };
}

async function scrape(child: Child, ctx: RenewalBenchContext): Promise<Sample> {
  const calls = ctx.arcgis.calls.length;
  const text = await (await fetch(`${child.url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { at: Date.now(), calls, waits: value('mtp_token_read_waits_total'), due: value('mtp_renewals_due') };
}

export function renderRenewals(inUse: InUseResult, stored: StoredResult, loadAtStart: number): string {
  const s = RENEWAL_SETTINGS;
  const rows = inUse.lifetimes.map(
    (l, i) =>
      `| ${i + 1} | ${l.reads} | ${l.non2xx} | ${l.waits} | ${l.arcgisCalls} | ${l.callsPerToken.toFixed(2)} | ${l.dueMax} | ${l.dueAtEnd} | ${l.loadAverage.toFixed(1)} |`,
  );
  return [
    '## Renewals at scale',
    '',
    `One instance, default settings (REFRESH_AHEAD=in-use, RENEWAL_CONCURRENCY=16), the ArcGIS stand-in answering in ${s.arcgisDelayMs} ms with ${s.lifetimeSeconds} s tokens; load average ${loadAtStart.toFixed(1)} at the start.`,
    '',
    `(a) ${s.inUseTokens} in-use agol tokens (created in ${inUse.createSeconds.toFixed(1)} s, so they first come due together), read in turn at ${s.readsPerSecond} reads/s for ${s.lifetimes} lifetimes (p99 ${inUse.p99} ms, max ${inUse.max} ms):`,
    '',
    '| lifetime | reads | non-2xx | reads that waited | ArcGIS calls | calls per token | mtp_renewals_due max | at the end | load average |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `(b) ${s.storedTokens} stored, ${s.storedInUse} in use (the others untouched for two days, expired and due): ${stored.arcgisCalls} ArcGIS calls over one lifetime (${s.lifetimeSeconds} s); mtp_renewals_due at most ${stored.dueMax}, ${stored.dueAtEnd} at the end; load average ${stored.loadAverage.toFixed(1)}.`,
    '',
  ].join('\n');
}
