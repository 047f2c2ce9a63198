import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { isAlive, registerProcess, sweepDatabases, sweepProcesses } from '../support/stale-test-resources';
import { mysqlTestUrl } from '../support/mysql-url';

/** What global setup and teardown rely on to leave nothing behind, even after an interrupted run. */

/** The pid of a process that has come and gone: the owner of leftovers from an interrupted run. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  expect(isAlive(child.pid!)).toBe(false);
  return child.pid!;
}

async function databases(admin: mysql.Connection, pattern: string): Promise<string[]> {
  const [rows] = await admin.query<mysql.RowDataPacket[]>('SHOW DATABASES LIKE ?', [pattern]);
  return rows.map((row) => Object.values(row)[0] as string);
}

it('drops the test databases of a process that is gone, and keeps those of a live one', async () => {
  const admin = await mysql.createConnection({ uri: mysqlTestUrl() });
  const gone = `mtp_test_${await deadPid()}_0badcafe`;
  const live = `mtp_test_${process.pid}_0badcafe`;
  try {
    for (const name of [gone, live]) await admin.query(`CREATE DATABASE ${name}`);
    const dropped = await sweepDatabases(mysqlTestUrl(), null);
    expect(dropped).toContain(gone);
    expect(dropped).not.toContain(live);
    expect(await databases(admin, gone)).toEqual([]);
    expect(await databases(admin, live)).toEqual([live]);
    // at the end of its own run, a run drops its own too
    expect(await sweepDatabases(mysqlTestUrl(), process.pid)).toContain(live);
    expect(await databases(admin, live)).toEqual([]);
  } finally {
    for (const name of [gone, live]) await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.end();
  }
});

it('ends the process group, and removes the folder, of a process whose test run is gone; leaves a live run alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtp-leftover-'));
  // a shell with a child of its own, in a group of its own, as the server processes of the tests are started
  const leader = spawn('bash', ['-c', 'sleep 300 & echo $!; wait'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  const [chunk] = (await once(leader.stdout!, 'data')) as [Buffer];
  const grandchild = Number(chunk.toString().trim());
  const exited = once(leader, 'exit');
  try {
    registerProcess(leader.pid!, { group: true, dir, run: process.pid });
    // its run (this process) is alive: a sweep of leftovers does not touch it
    sweepProcesses(null);
    expect([isAlive(leader.pid!), isAlive(grandchild), existsSync(dir)]).toEqual([true, true, true]);

    registerProcess(leader.pid!, { group: true, dir, run: await deadPid() });
    expect(sweepProcesses(null)).toBe(1);
    await exited;
    await waitUntil(() => !isAlive(grandchild));
    expect(existsSync(dir)).toBe(false);
  } finally {
    try {
      process.kill(-leader.pid!, 'SIGKILL');
    } catch {
      // ended by the sweep
    }
  }
});

/** Polls a condition that an exit makes true (a grandchild is reaped by init, which sends no event here). */
async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}
