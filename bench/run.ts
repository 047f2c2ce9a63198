import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeArcgis } from '../test/support/fake-arcgis';
import { BenchDatabase } from './database';
import { type LoadOptions, measure, storm } from './load';
import { type Child, PROJECT_ROOT, runCli, serviceEnvironment, startChild, stopAll } from './processes';
import { profileTokenRead } from './profile-run';
import { runRenewalBenches } from './run-renewals';
import { createMapTokens, readOnce } from './service-calls';
import { log, setting } from './settings';
import { describeMachine, type Memory, renderReport, type Rollover, type Settings, type Storm } from './report';

const ENVIRONMENT = 'bench';
/** The page origin of the bound key's reads, and a limit those reads stay under (a million a minute). */
const BENCH_ORIGIN = 'https://maps.example.com';
const BENCH_RATE_LIMIT = '1000000';
const STORM_REQUESTS = 1000;
const STORM_DELAY_MS = 200;
const STORM_CACHE_TTL_SECONDS = 1;
/** Rollover: short tokens from a slow ArcGIS, read steadily across several lifetimes. */
const ROLLOVER_LIFETIME_SECONDS = 15;
const ROLLOVER_ARCGIS_DELAY_MS = 1000;
const ROLLOVER_CONNECTIONS = 8;

interface Context {
  db: BenchDatabase;
  arcgis: FakeArcgis;
  cwd: string;
  serviceEnv: Record<string, string>;
  readerHeaders: Record<string, string>;
}

async function main(): Promise<void> {
  const settings: Settings = {
    durationSeconds: setting('BENCH_DURATION', 10, 1, 600),
    warmupSeconds: 2,
    connections: setting('BENCH_CONNECTIONS', 32, 1, 10_000),
    soakSeconds: setting('BENCH_SOAK_SECONDS', 60, 1, 3600),
    stormRequests: STORM_REQUESTS,
    stormDelayMs: STORM_DELAY_MS,
    rolloverSeconds: setting('BENCH_ROLLOVER_SECONDS', 48, 10, 3600),
    rolloverConnections: ROLLOVER_CONNECTIONS,
  };
  const profiling = process.env.BENCH_PROFILE === '1';
  const loadAtStart = loadavg()[0] ?? NaN;
  const serverUrl = process.env.MYSQL_BENCH_URL || 'mysql://root@127.0.0.1:3306';

  const cwd = mkdtempSync(join(tmpdir(), 'mtp-bench-')); // no stray .env reaches the children
  const arcgis = new FakeArcgis();
  let db: BenchDatabase | undefined;
  const cleanup = async () => {
    await stopAll();
    await arcgis.stop();
    if (db) await db.drop().catch((error: Error) => log(`could not drop database ${db!.name}: ${error.message}`));
    db = undefined;
    rmSync(cwd, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping children and dropping the database`);
      void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }

  try {
    db = await BenchDatabase.create(serverUrl);
    log(`database ${db.name} created`);
    await arcgis.start();
    const serviceEnv = serviceEnvironment(db.url, arcgis.url);
    await runCli(['migrate'], serviceEnv, cwd);
    const createKey = async (role: 'admin' | 'reader', ...options: string[]) =>
      (
        (await runCli(
          ['keys', 'create', '--environment', ENVIRONMENT, '--role', role, '--description', 'bench', ...options],
          serviceEnv,
          cwd,
        )) as { key: string }
      ).key;
    const admin = { key: await createKey('admin') };
    const reader = { key: await createKey('reader') };
    const bound = { key: await createKey('reader', '--allowed-origin', BENCH_ORIGIN, '--rate-limit', BENCH_RATE_LIMIT) };
    const boundHeaders = { 'atr-environment-id': ENVIRONMENT, 'atr-subscription-key': bound.key, origin: BENCH_ORIGIN };
    const ctx: Context = {
      db,
      arcgis,
      cwd,
      serviceEnv,
      readerHeaders: { 'atr-environment-id': ENVIRONMENT, 'atr-subscription-key': reader.key },
    };

    const service = await startChild({ name: 'service', script: 'src/server.js', env: serviceEnv, cwd });
    const [readId, stormId] = await createMapTokens(service.url, ENVIRONMENT, admin.key, arcgis.tokenUrl);
    if (readId === undefined || stormId === undefined) throw new Error('the PUT answered fewer map tokens than it was sent');
    const readPath = `/api/v1/map-tokens/${readId}/token`;
    const body = await readOnce(service.url + readPath, ctx.readerHeaders);
    log(`service on port ${service.port}; token read answers ${Buffer.byteLength(body)} bytes`);
    const atStartMb = service.rssMb();

    const load = (url: string, headers?: Record<string, string>, serverPid?: number): LoadOptions => ({
      url,
      headers,
      serverPid,
      durationSeconds: settings.durationSeconds,
      warmupSeconds: settings.warmupSeconds,
      connections: settings.connections,
    });
    log('measuring the token read (cache hit, every middleware on)');
    const tokenRead = await measure(load(service.url + readPath, ctx.readerHeaders, service.pid));
    log('measuring the token read with a bound and limited key');
    await readOnce(service.url + readPath, boundHeaders);
    const boundRead = await measure(load(service.url + readPath, boundHeaders, service.pid));
    log('measuring the bare Express route');
    const bareExpress = await measureBare('bare-express', 'bench/bare-express.js', body, readPath, ctx, load);
    log("measuring an Express route on Esri's ApplicationCredentialsManager");
    const esriHelper = await measureEsriHelper(readPath, ctx, load);
    log('measuring the bare node:http server');
    const bareNode = await measureBare('bare-node', 'bench/bare-node.js', body, readPath, ctx, load);

    log(`soak: the token read for ${settings.soakSeconds} s`);
    const beforeSoakMb = service.rssMb();
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(service.rssMb()), 1000);
    const soak = await measure({
      ...load(service.url + readPath, ctx.readerHeaders, service.pid),
      durationSeconds: settings.soakSeconds,
      warmupSeconds: 0,
    });
    clearInterval(sampler);
    const afterSoakMb = service.rssMb();
    const memory: Memory = { atStartMb, beforeSoakMb, peakMb: Math.max(beforeSoakMb, afterSoakMb, ...samples), afterSoakMb, samples };
    const serviceLogs = { warn: service.warnLines, error: service.errorLines };
    await service.stop();

    log(
      `rollover: ${settings.rolloverSeconds} s of reads across ${ROLLOVER_LIFETIME_SECONDS} s tokens, ArcGIS answering in ${ROLLOVER_ARCGIS_DELAY_MS} ms`,
    );
    const rolloverResult = await rollover(ctx, admin.key, settings, readPath);

    const storms: Storm[] = [];
    for (const instances of [1, 3]) {
      log(`cold storm: ${STORM_REQUESTS} concurrent reads of an expired token on ${instances} instance(s)`);
      storms.push(await coldStorm(ctx, instances, `/api/v1/map-tokens/${stormId}/token`, stormId));
    }

    log('renewals at scale: 2,000 in-use tokens of 60 s; 20,000 stored, 1,000 in use');
    const renewals = await runRenewalBenches(serverUrl);

    const report = renderReport({
      machine: describeMachine(await db.version(), loadAtStart),
      settings,
      tokenRead: { name: 'token read (cache hit, all middleware)', result: tokenRead },
      boundRead: { name: 'token read, key with --allowed-origin and --rate-limit', result: boundRead },
      bareExpress: { name: 'bare Express 5 route, same JSON', result: bareExpress },
      esriHelper: { name: "Express route on Esri's ApplicationCredentialsManager.getToken()", result: esriHelper },
      bareNode: { name: 'bare node:http, same JSON', result: bareNode },
      soak: { name: `token read, ${settings.soakSeconds} s soak`, result: soak },
      storms,
      rollover: rolloverResult,
      memory,
      serviceLogs,
    });
    mkdirSync(join(PROJECT_ROOT, 'bench'), { recursive: true });
    writeFileSync(join(PROJECT_ROOT, 'bench', 'results.md'), `${report}\n${renewals}`);
    process.stdout.write(`${report}\n${renewals}`);
    log('written to bench/results.md');

    if (profiling) {
      log('profiling the token read');
      await profileTokenRead({ env: serviceEnv, cwd, headers: ctx.readerHeaders, path: readPath, load: load('') });
      log('written to bench/profile.md');
    }
  } finally {
    await cleanup();
  }
}

async function measureBare(name: string, script: string, body: string, path: string, ctx: Context, load: (url: string) => LoadOptions) {
  const child = await startChild({
    name,
    script,
    env: { PATH: ctx.serviceEnv.PATH ?? '', BENCH_BODY: body, PORT: '0', HOST: '127.0.0.1' },
    cwd: ctx.cwd,
  });
  try {
    const answer = await readOnce(child.url + path, {});
    if (answer !== body) throw new Error(`${name} does not answer the token read's body`);
    return await measure({ ...load(child.url + path), serverPid: child.pid });
  } finally {
    await child.stop();
  }
}

/**
 * The peer a user would otherwise write: an Express route on @esri/arcgis-rest-request's
 * ApplicationCredentialsManager, getting its token from the same ArcGIS stand-in (fetched once, then
 * served from the helper's memory, as the token read serves its cache).
 */
async function measureEsriHelper(path: string, ctx: Context, load: (url: string) => LoadOptions) {
  const env = { PATH: ctx.serviceEnv.PATH ?? '', BENCH_PORTAL: `${ctx.arcgis.url}/sharing/rest`, PORT: '0', HOST: '127.0.0.1' };
  const child = await startChild({ name: 'esri-helper', script: 'bench/esri-express.js', env, cwd: ctx.cwd });
  try {
    const answer = JSON.parse(await readOnce(child.url + path, {})) as { token?: unknown };
    if (typeof answer.token !== 'string' || !answer.token.startsWith('fake-'))
      throw new Error('the Esri helper route did not answer a token from the stand-in');
    return await measure({ ...load(child.url + path), serverPid: child.pid });
  } finally {
    await child.stop();
  }
}

/**
 * Starts `instances` services with a 1 s process cache, reads the token once through each (so that
 * keys and token are cached), expires the stored token, waits for the caches to re-check, and fires
 * the storm. The ArcGIS stand-in is slow meanwhile, so that every request arrives during the refresh.
 */
async function coldStorm(ctx: Context, instances: number, path: string, id: number): Promise<Storm> {
  const env = { ...ctx.serviceEnv, CACHE_TTL_SECONDS: String(STORM_CACHE_TTL_SECONDS) };
  const children: Child[] = [];
  try {
    for (let i = 0; i < instances; i += 1)
      children.push(await startChild({ name: `storm-${instances}-${i + 1}`, script: 'src/server.js', env, cwd: ctx.cwd }));
    for (const child of children) await readOnce(child.url + path, ctx.readerHeaders);
    await ctx.db.expireToken(id);
    await sleep(STORM_CACHE_TTL_SECONDS * 1000 + 500);
    ctx.arcgis.delayMs = STORM_DELAY_MS;
    ctx.arcgis.calls = [];
    const result = await storm(
      children.map((child) => child.url),
      path,
      ctx.readerHeaders,
      STORM_REQUESTS,
    );
    return { instances, arcgisCalls: ctx.arcgis.calls.length, result };
  } finally {
    ctx.arcgis.delayMs = 0;
    await Promise.all(children.map((child) => child.stop()));
  }
}

/**
 * Refresh ahead under load: a fresh instance, a map token whose tokens live ROLLOVER_LIFETIME_SECONDS,
 * an ArcGIS that takes ROLLOVER_ARCGIS_DELAY_MS to answer, and steady reads from the first fetch on.
 */
async function rollover(ctx: Context, adminKey: string, settings: Settings, cacheHitPath: string): Promise<Rollover> {
  const child = await startChild({ name: 'rollover', script: 'src/server.js', env: ctx.serviceEnv, cwd: ctx.cwd });
  ctx.arcgis.lifetimeSeconds = ROLLOVER_LIFETIME_SECONDS;
  ctx.arcgis.delayMs = ROLLOVER_ARCGIS_DELAY_MS;
  try {
    const load = (path: string): LoadOptions => ({
      url: child.url + path,
      headers: ctx.readerHeaders,
      serverPid: child.pid,
      durationSeconds: settings.rolloverSeconds,
      warmupSeconds: 0,
      connections: settings.rolloverConnections,
    });
    // the same instance and load on a 2-hour token (never renewed during the run): what a cache hit costs here
    await readOnce(child.url + cacheHitPath, ctx.readerHeaders);
    const cacheHit = await measure(load(cacheHitPath));
    const [id] = await createMapTokens(child.url, ENVIRONMENT, adminKey, ctx.arcgis.tokenUrl, [3]);
    const path = `/api/v1/map-tokens/${id}/token`;
    await readOnce(child.url + path, ctx.readerHeaders);
    const waitsBefore = await readWaits(child.url);
    const callsBefore = ctx.arcgis.calls.length;
    const result = await measure(load(path));
    const rollover = {
      lifetimeSeconds: ROLLOVER_LIFETIME_SECONDS,
      arcgisDelayMs: ROLLOVER_ARCGIS_DELAY_MS,
      result,
      cacheHit,
      arcgisCalls: ctx.arcgis.calls.length - callsBefore,
      waits: (await readWaits(child.url)) - waitsBefore,
    };
    // the scheduler of every later instance would go on renewing it (and the storms count ArcGIS calls)
    const deleted = await fetch(`${child.url}/api/v1/admin/map-tokens/${id}`, {
      method: 'DELETE',
      headers: { 'atr-environment-id': ENVIRONMENT, 'atr-subscription-key': adminKey },
    });
    if (deleted.status !== 204) throw new Error(`DELETE of the rollover map token answered ${deleted.status}`);
    return rollover;
  } finally {
    ctx.arcgis.lifetimeSeconds = 7200;
    ctx.arcgis.delayMs = 0;
    await child.stop();
  }
}

async function readWaits(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return Number(/^mtp_token_read_waits_total (\S+)$/m.exec(text)?.[1] ?? 0);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
