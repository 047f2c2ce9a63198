import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeArcgis } from '../test/support/fake-arcgis';
import { BenchDatabase } from './database';
import { type LoadResult, measure } from './load';
import { type Child, PROJECT_ROOT, runCli, serviceEnvironment, startChild, stopAll } from './processes';
import { createMapTokens, readOnce } from './service-calls';
import { log, setting } from './settings';

/**
 * `npm run bench:compare -- <revision>`: the token read of this checkout against the token read of
 * another revision (a commit, a tag, `HEAD~3`), in one run on one machine, so that a change's cost is a
 * ratio rather than two figures measured on different days. The other revision is exported with
 * `git archive` into a temporary folder, built there with this checkout's node_modules, and started
 * beside this build: each on a database of its own, both against one ArcGIS stand-in. The rounds
 * take the two (and a bare Express route answering the same body) in turn, so that the machine's moods
 * fall on both alike. Written to bench/compare.md and printed.
 */

const ENVIRONMENT = 'bench';

interface Side {
  name: string;
  child: Child;
  path: string;
  headers: Record<string, string>;
  results: LoadResult[];
}

/** The commit of `revision`, and its one-line subject. */
function resolveRevision(revision: string): { sha: string; subject: string } {
  try {
    const sha = execFileSync('git', ['-C', PROJECT_ROOT, 'rev-parse', '--verify', '--quiet', `${revision}^{commit}`], {
      encoding: 'utf8',
    }).trim();
    const subject = execFileSync('git', ['-C', PROJECT_ROOT, 'log', '-1', '--format=%s', sha], { encoding: 'utf8' }).trim();
    return { sha, subject };
  } catch {
    throw new Error(`"${revision}" is no commit of this repository (try a hash, a tag or HEAD~1)`);
  }
}

/** True when this checkout has changes to tracked files (the benchmark's own reports aside): this build is not HEAD as committed. */
function workingTreeChanged(): boolean {
  const status = execFileSync('git', ['-C', PROJECT_ROOT, 'status', '--porcelain', '--untracked-files=no', '--', '.', ':!bench/*.md'], {
    encoding: 'utf8',
  });
  return status.trim() !== '';
}

/**
 * Exports `sha` into `folder` and builds it there; returns its dist/. With the same package-lock.json it
 * uses this checkout's node_modules; otherwise it installs its own (`npm ci`, from npm's cache mostly).
 */
function buildRevision(sha: string, folder: string): string {
  const archive = join(folder, 'revision.tar');
  execFileSync('git', ['-C', PROJECT_ROOT, 'archive', '--format=tar', '-o', archive, sha]);
  execFileSync('tar', ['-xf', archive, '-C', folder]);
  rmSync(archive);
  const lock = (root: string) => readFileSync(join(root, 'package-lock.json'), 'utf8');
  if (lock(folder) === lock(PROJECT_ROOT)) symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(folder, 'node_modules'), 'dir');
  else {
    log('its package-lock.json differs: npm ci in its folder');
    execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: folder, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  execFileSync('npm', ['run', '-s', 'build'], { cwd: folder, stdio: ['ignore', 'ignore', 'inherit'] });
  return join(folder, 'dist');
}

async function startSide(name: string, dist: string | undefined, db: BenchDatabase, arcgis: FakeArcgis, cwd: string): Promise<Side> {
  const env = serviceEnvironment(db.url, arcgis.url);
  await runCli(['migrate'], env, cwd, dist);
  const key = async (role: string) =>
    (
      (await runCli(['keys', 'create', '--environment', ENVIRONMENT, '--role', role, '--description', 'bench'], env, cwd, dist)) as {
        key: string;
      }
    ).key;
  const admin = await key('admin');
  const reader = await key('reader');
  const child = await startChild({ name, script: 'src/server.js', env, cwd, dist });
  const [id] = await createMapTokens(child.url, ENVIRONMENT, admin, arcgis.tokenUrl, [1]);
  const headers = { 'atr-environment-id': ENVIRONMENT, 'atr-subscription-key': reader };
  const path = `/api/v1/map-tokens/${id}/token`;
  await readOnce(child.url + path, headers);
  return { name, child, path, headers, results: [] };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};
const fixed = (value: number, digits = 2) => value.toFixed(digits);

function render(input: {
  base: { revision: string; sha: string; subject: string };
  head: { sha: string; subject: string };
  sides: Side[];
  settings: { rounds: number; durationSeconds: number; connections: number };
  loadAtStart: number;
}): string {
  const [head, base, bare] = input.sides as [Side, Side, Side];
  const rps = (side: Side) => median(side.results.map((r) => r.rps));
  const cpu = (side: Side) => median(side.results.map((r) => r.serverCpuUsPerRequest));
  const p99 = (side: Side) => median(side.results.map((r) => r.p99));
  const failed = (side: Side) => side.results.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0);
  const row = (side: Side, label: string) =>
    `| ${label} | ${side.results.map((r) => Math.round(r.rps)).join(', ')} | ${Math.round(rps(side))} | ${fixed(cpu(side), 0)} | ${fixed(p99(side))} | ${failed(side)} |`;
  const ratio = rps(head) / rps(base);
  return [
    '# The token read against another revision',
    '',
    `\`npm run bench:compare -- ${input.base.revision}\`: ${input.settings.rounds} rounds of ${input.settings.durationSeconds} s, ` +
      `${input.settings.connections} connections, one instance each, the token served from the process cache; ` +
      `${process.version}, load average ${fixed(input.loadAtStart)} at the start.`,
    '',
    `- this build: \`${input.head.sha.slice(0, 7)}\` ${input.head.subject}`,
    `- the other revision: \`${input.base.sha.slice(0, 7)}\` ${input.base.subject}`,
    '',
    '| server | req/s by round | median req/s | server CPU µs/request | p99 ms | failed |',
    '|---|---|---|---|---|---|',
    row(head, 'this build'),
    row(base, `\`${input.base.sha.slice(0, 7)}\``),
    row(bare, 'bare Express 5 route, same body'),
    '',
    `- req/s, this build / the other revision: **${fixed(ratio, 3)}** (${fixed((ratio - 1) * 100, 1)} %)`,
    `- server CPU per request, this build / the other revision: **${fixed(cpu(head) / cpu(base), 3)}**`,
    `- against the bare Express route: this build ${fixed(rps(head) / rps(bare))}x, the other revision ${fixed(rps(base) / rps(bare))}x`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const revision = process.argv[2];
  if (!revision) throw new Error('name the revision to compare with: npm run bench:compare -- <revision>');
  const base = resolveRevision(revision);
  const committed = resolveRevision('HEAD');
  const head = workingTreeChanged() ? { ...committed, subject: `${committed.subject} (and changes not committed)` } : committed;
  const settings = {
    rounds: setting('BENCH_ROUNDS', 3, 1, 50),
    durationSeconds: setting('BENCH_DURATION', 10, 1, 600),
    connections: setting('BENCH_CONNECTIONS', 32, 1, 10_000),
  };
  const loadAtStart = loadavg()[0] ?? NaN;
  const serverUrl = process.env.MYSQL_BENCH_URL || 'mysql://root@127.0.0.1:3306';
  const cwd = mkdtempSync(join(tmpdir(), 'mtp-bench-'));
  const folder = mkdtempSync(join(tmpdir(), 'mtp-bench-base-'));
  const arcgis = new FakeArcgis();
  const databases: BenchDatabase[] = [];
  const cleanup = async () => {
    await stopAll();
    await arcgis.stop();
    for (const db of databases.splice(0))
      await db.drop().catch((error: Error) => log(`could not drop database ${db.name}: ${error.message}`));
    rmSync(cwd, { recursive: true, force: true });
    rmSync(folder, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143)));
  }
  try {
    log(`building ${base.sha.slice(0, 7)} (${base.subject})`);
    const baseDist = buildRevision(base.sha, folder);
    await arcgis.start();
    for (let i = 0; i < 2; i += 1) databases.push(await BenchDatabase.create(serverUrl));
    const [headDb, baseDb] = databases as [BenchDatabase, BenchDatabase];
    const headSide = await startSide('this build', undefined, headDb, arcgis, cwd);
    const baseSide = await startSide(base.sha.slice(0, 7), baseDist, baseDb, arcgis, cwd);
    const body = await readOnce(headSide.child.url + headSide.path, headSide.headers);
    const bareChild = await startChild({
      name: 'bare-express',
      script: 'bench/bare-express.js',
      env: { PATH: process.env.PATH ?? '', BENCH_BODY: body, PORT: '0', HOST: '127.0.0.1' },
      cwd,
    });
    const bare: Side = { name: 'bare', child: bareChild, path: headSide.path, headers: {}, results: [] };
    const sides = [headSide, baseSide, bare];
    for (let round = 0; round < settings.rounds; round += 1) {
      // each round the order turns by one, so that each server runs first, second and last equally often
      const order = sides.map((_, i) => sides[(i + round) % sides.length] as Side);
      for (const side of order) {
        log(`round ${round + 1}/${settings.rounds}: ${side.name}`);
        side.results.push(
          await measure({
            url: side.child.url + side.path,
            headers: side.headers,
            serverPid: side.child.pid,
            durationSeconds: settings.durationSeconds,
            warmupSeconds: 2,
            connections: settings.connections,
          }),
        );
      }
    }
    const report = render({ base: { revision, ...base }, head, sides, settings, loadAtStart });
    writeFileSync(join(PROJECT_ROOT, 'bench', 'compare.md'), report);
    process.stdout.write(report);
    log('written to bench/compare.md');
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
