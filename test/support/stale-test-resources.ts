import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';

/**
 * What a test run leaves behind when it fails or is interrupted: processes it started and databases it
 * created. Both are named after their owner (the test run's pid for processes, the creating process's pid
 * for databases), so that global setup and teardown can sweep what no live run owns, and never touch what
 * another run on the same machine is still using.
 */
const REGISTRY = join(tmpdir(), 'mtp-test-processes');

/** The pid of the jest process running this test run (set by global setup; this process when run alone). */
function testRunPid(): number {
  return Number(process.env.MTP_TEST_RUN_PID) || process.pid;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Entry {
  pid: number;
  run: number;
  group: boolean;
  dir?: string;
}

/** Records a child process (and optionally the folder it owns) so that a later sweep can end it. */
export function registerProcess(pid: number, options: { group: boolean; dir?: string; run?: number }): void {
  mkdirSync(REGISTRY, { recursive: true });
  const entry: Entry = { pid, run: options.run ?? testRunPid(), group: options.group, dir: options.dir };
  writeFileSync(join(REGISTRY, `${pid}.json`), JSON.stringify(entry));
}

export function forgetProcess(pid: number): void {
  rmSync(join(REGISTRY, `${pid}.json`), { force: true });
}

/** Kills a process, with its group when it leads one; no error when it is gone already. */
export function killProcess(pid: number, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** Ends every registered process of the run `run` and of every run that no longer exists. Synchronous: usable on exit. */
export function sweepProcesses(run: number | null, which: (entry: Entry) => boolean = () => true): number {
  let swept = 0;
  let names: string[];
  try {
    names = readdirSync(REGISTRY);
  } catch {
    return 0;
  }
  for (const name of names) {
    let entry: Entry;
    try {
      entry = JSON.parse(readFileSync(join(REGISTRY, name), 'utf8')) as Entry;
    } catch {
      continue;
    }
    if ((entry.run !== run && isAlive(entry.run)) || !which(entry)) continue;
    if (isAlive(entry.pid)) {
      killProcess(entry.pid, entry.group);
      swept += 1;
    }
    if (entry.dir) rmSync(entry.dir, { recursive: true, force: true });
    forgetProcess(entry.pid);
  }
  return swept;
}

/** The parent pid of a process, from /proc (Linux); null when unknown. */
function parentPid(pid: number): number | null {
  try {
    const match = /^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Drops the test databases (mtp_test_<pid>_<random>) of this run (created by it or its workers) and of
 * processes that no longer exist. Another run's databases, whose creator is alive, stay.
 */
export async function sweepDatabases(url: string, run: number | null): Promise<string[]> {
  const conn = await mysql.createConnection({ uri: url, connectTimeout: 5000 });
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>("SHOW DATABASES LIKE 'mtp\\_test\\_%'");
    const dropped: string[] = [];
    for (const row of rows) {
      const name = Object.values(row)[0] as string;
      const match = /^mtp_test_(\d+)_[0-9a-f]+$/.exec(name);
      if (!match) continue;
      const owner = Number(match[1]);
      const ours = run !== null && (owner === run || parentPid(owner) === run);
      if (!ours && isAlive(owner)) continue;
      await conn.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(name)}`);
      dropped.push(name);
    }
    return dropped;
  } finally {
    await conn.end();
  }
}
