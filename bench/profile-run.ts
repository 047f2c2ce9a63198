import { tmpdir } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LoadOptions, type LoadResult, measure } from './load';
import { freePort, PROJECT_ROOT, startChild } from './processes';
import { newestProfile, profileMarkdown, summariseProfile, type Window } from './profile';

export interface ProfileTarget {
  /** The service's environment, as for the measured runs. */
  env: Record<string, string>;
  cwd: string;
  headers: Record<string, string>;
  path: string;
  load: LoadOptions;
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * BENCH_PROFILE=1: the token read once more against a service under --cpu-prof (only the samples of
 * the measured run are summarised), then back to back with LOG_LEVEL=info and LOG_LEVEL=warn (no
 * profiler) to show what the per-request log line costs. Writes bench/profile.md.
 */
export async function profileTokenRead(target: ProfileTarget): Promise<void> {
  const dir = process.env.BENCH_PROFILE_DIR || join(tmpdir(), 'mtp-prof');
  mkdirSync(dir, { recursive: true });
  const startedMs = Date.now() - 1000;
  const child = await startChild({
    name: 'profiled-service',
    script: 'src/server.js',
    env: target.env,
    cwd: target.cwd,
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  });
  const run = { ...target.load, url: child.url + target.path, headers: target.headers };
  let profiled: LoadResult;
  let window: Window;
  try {
    await measure({ ...run, durationSeconds: target.load.warmupSeconds, warmupSeconds: 0 });
    const fromUs = nowUs();
    profiled = await measure({ ...run, warmupSeconds: 0, serverPid: child.pid });
    window = { fromUs, toUs: nowUs() };
  } finally {
    // the profile is written when the process exits by itself: give it time
    await child.stop(20_000);
  }
  const summary = summariseProfile(newestProfile(dir, startedMs), window);

  const levels: { level: string; result: LoadResult }[] = [];
  for (const level of ['info', 'warn']) {
    // at warn the service does not log its port: give it one
    const port = level === 'info' ? undefined : await freePort();
    const service = await startChild({
      name: `service-log-${level}`,
      script: 'src/server.js',
      env: { ...target.env, LOG_LEVEL: level },
      cwd: target.cwd,
      port,
    });
    try {
      levels.push({
        level,
        result: await measure({ ...target.load, url: service.url + target.path, headers: target.headers, serverPid: service.pid }),
      });
    } finally {
      await service.stop();
    }
  }

  const text = [
    '# CPU profile of the token read',
    '',
    `${profiled.rps.toFixed(0)} req/s under the profiler (${target.load.connections} connections, ${target.load.durationSeconds} s),`,
    `${profiled.serverCpuUsPerRequest.toFixed(0)} µs of service CPU per request.`,
    '',
    profileMarkdown(summary),
    '',
    '## What the request log line costs',
    '',
    'The token read, back to back, without the profiler; LOG_LEVEL=warn drops the per-request info line (the request observer',
    'still runs). Nothing else differs.',
    '',
    '| LOG_LEVEL | req/s | p50 ms | p99 ms | non-2xx | service CPU µs/req |',
    '|---|---:|---:|---:|---:|---:|',
    ...levels.map(
      ({ level, result: r }) =>
        `| ${level} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.non2xx} | ${r.serverCpuUsPerRequest.toFixed(0)} |`,
    ),
    '',
  ].join('\n');
  writeFileSync(join(PROJECT_ROOT, 'bench', 'profile.md'), text);
  process.stdout.write(`\n${text}`);
}
