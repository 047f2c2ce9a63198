import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { forgetProcess, registerProcess } from './stale-test-resources';

export const MARIADBD = '/usr/sbin/mariadbd';
const INSTALLERS = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'];
/** Generous: a first start on a busy machine initialises InnoDB files. */
const START_TIMEOUT_MS = 60_000;
const POLL_MS = 100;

/**
 * Server options for a small private instance: its own folder, socket and port, no config files read,
 * little memory, and no binary log. `--user=root` because the tests may run as root.
 */
function serverArgs(dir: string, port: number): string[] {
  return [
    '--no-defaults',
    '--user=root',
    `--datadir=${join(dir, 'data')}`,
    `--socket=${join(dir, 'mariadb.sock')}`,
    `--pid-file=${join(dir, 'mariadb.pid')}`,
    `--log-error=${join(dir, 'error.log')}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    '--skip-name-resolve',
    '--skip-log-bin',
    '--innodb-buffer-pool-size=32M',
    '--innodb-log-file-size=16M',
  ];
}

/**
 * A MariaDB server of its own that a test can kill (SIGKILL), stop (SIGSTOP, a hung server), and bring
 * back on the same port and data: for "MySQL goes away while the service runs". Root, no password,
 * over TCP on 127.0.0.1.
 */
export class ThrowawayMariadb {
  private dir?: string;
  private port?: number;
  private child?: ChildProcess;

  get url(): string {
    if (this.port === undefined) throw new Error('ThrowawayMariadb is not started');
    return `mysql://root@127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Initialises a data folder on a free port and starts the server on it. */
  async start(): Promise<{ url: string }> {
    if (this.dir) throw new Error('ThrowawayMariadb is already started');
    this.dir = mkdtempSync(join(tmpdir(), 'mtp-mariadb-'));
    this.port = await freePort();
    await install(this.dir);
    await this.launch();
    return { url: this.url };
  }

  /** SIGKILL: the server vanishes without a goodbye, as in a crash or an OOM kill. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP: the server keeps its sockets open but answers nothing (a hung host). */
  pause(): void {
    if (this.running) this.child!.kill('SIGSTOP');
  }

  resume(): void {
    if (this.running) this.child!.kill('SIGCONT');
  }

  /** Starts again on the same port and data folder (killing a running server first). */
  async restart(): Promise<{ url: string }> {
    if (!this.dir) throw new Error('ThrowawayMariadb is not started');
    this.resume();
    await this.kill();
    await this.launch();
    return { url: this.url };
  }

  /** Kills the server and removes its folder. */
  async stop(): Promise<void> {
    this.resume();
    await this.kill();
    this.child = undefined;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  private async launch(): Promise<void> {
    const dir = this.dir!;
    const child = spawn(MARIADBD, serverArgs(dir, this.port!), { stdio: 'ignore' });
    this.child = child;
    // an interrupted test run leaves it behind: the next run's global setup ends it and removes its folder
    const pid = child.pid!;
    registerProcess(pid, { group: false, dir });
    child.once('exit', () => forgetProcess(pid));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`mariadbd exited during start:\n${tail(join(dir, 'error.log'))}`);
      if (await answers(this.url)) return;
      await sleep(POLL_MS);
    }
    child.kill('SIGKILL');
    throw new Error(`mariadbd did not answer within ${START_TIMEOUT_MS} ms:\n${tail(join(dir, 'error.log'))}`);
  }
}

async function install(dir: string): Promise<void> {
  const installer = INSTALLERS.find((path) => existsSync(path));
  if (!installer) throw new Error(`neither ${INSTALLERS.join(' nor ')} exists: install mariadb-server`);
  const args = [
    '--no-defaults',
    `--datadir=${join(dir, 'data')}`,
    '--user=root',
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--skip-name-resolve',
    '--innodb-log-file-size=16M',
  ];
  await new Promise<void>((resolve, reject) => {
    execFile(installer, args, { timeout: START_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${installer} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve();
    });
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    const conn = await mysql.createConnection({ uri: url, connectTimeout: 1000 });
    await conn.end();
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no error log)';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
