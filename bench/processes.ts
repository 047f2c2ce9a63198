import { randomBytes } from 'node:crypto';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { join, resolve } from 'node:path';

/** dist/ of the compiled project: this file runs as dist/bench/processes.js. */
const DIST = resolve(__dirname, '..');
export const PROJECT_ROOT = resolve(DIST, '..');

const LISTENING = /listening on http:\/\/[^\s"]+?:(\d+)/;
const START_TIMEOUT_MS = 20_000;
const KILL_AFTER_MS = 5_000;
const TAIL_BYTES = 4096;

/** A child process the bench started, with what it said and how to stop it. */
export class Child {
  readonly port: number;
  /** Log lines at warn / error level seen on stdout (pino JSON), counted without parsing every line. */
  warnLines = 0;
  errorLines = 0;
  private tail = '';
  private exited: Promise<void>;

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
    port: number,
  ) {
    this.port = port;
    this.exited = proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : once(proc, 'exit').then(() => undefined);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Keeps draining the pipe (a full pipe would stall the child's logger) and counts warn/error lines. */
  drain(chunk: string): void {
    this.warnLines += occurrences(chunk, '"level":"warn"');
    this.errorLines += occurrences(chunk, '"level":"error"') + occurrences(chunk, '"level":"fatal"');
    this.tail = (this.tail + chunk).slice(-TAIL_BYTES);
  }

  lastOutput(): string {
    return this.tail;
  }

  /** Resident set size in MB, from /proc/<pid>/status. */
  rssMb(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    if (!match) throw new Error(`no VmRSS for ${this.name}`);
    return Number(match[1]) / 1024;
  }

  /** SIGTERM, then SIGKILL if it is still there after `killAfterMs`. Resolves once it has exited. */
  async stop(killAfterMs = KILL_AFTER_MS): Promise<void> {
    if (!this.running) return this.exited;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (this.running) this.proc.kill('SIGKILL');
    }, killAfterMs);
    await this.exited;
    clearTimeout(timer);
  }
}

function occurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count += 1;
  return count;
}

/** Every child still alive, so that a failure anywhere can stop them all. */
const children = new Set<Child>();

export interface StartOptions {
  name: string;
  /** A script relative to dist/, e.g. "src/server.js". */
  script: string;
  env: Record<string, string>;
  cwd: string;
  nodeArgs?: string[];
  /** The dist/ folder the script is in: this build's by default, another revision's build for a comparison. */
  dist?: string;
  /**
   * For a child that logs nothing at info level: start it on this port (PORT) and wait until the
   * port accepts connections, instead of waiting for its "listening on" line.
   */
  port?: number;
}

/**
 * Starts `node dist/<script>` and resolves once it logs "listening on http://host:PORT". Its stdout
 * and stderr are piped and drained here, never shown on the terminal.
 */
export function startChild(options: StartOptions): Promise<Child> {
  const env = options.port === undefined ? options.env : { ...options.env, PORT: String(options.port) };
  const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), join(options.dist ?? DIST, options.script)], {
    cwd: options.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise<Child>((resolvePromise, reject) => {
    let child: Child | undefined;
    let early = '';
    const timer = setTimeout(
      () => fail(new Error(`${options.name} did not start listening within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(new Error(`${error.message}\n--- last output of ${options.name} ---\n${early.slice(-TAIL_BYTES)}`));
    };
    const listening = (port: number) => {
      clearTimeout(timer);
      child = new Child(options.name, proc, port);
      child.drain(early);
      children.add(child);
      proc.once('exit', () => children.delete(child!));
      resolvePromise(child);
    };
    if (options.port !== undefined) {
      const port = options.port;
      const poll = () => {
        if (child || proc.exitCode !== null) return;
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          listening(port);
        });
        socket.once('error', () => {
          socket.destroy();
          setTimeout(poll, 100);
        });
      };
      poll();
    }
    proc.stdout!.setEncoding('utf8');
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      if (child) child.drain(chunk);
      else early += chunk;
    });
    proc.stdout!.on('data', (chunk: string) => {
      if (child) return child.drain(chunk);
      early += chunk;
      const match = options.port === undefined ? LISTENING.exec(early) : null;
      if (match) listening(Number(match[1]));
    });
    proc.once('error', (error) => fail(error));
    proc.once('exit', (code, signal) => {
      if (!child) fail(new Error(`${options.name} exited before listening (code ${code}, signal ${signal})`));
    });
  });
}

/** A port that was free a moment ago (the kernel's pick for a listener that is closed at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs `node dist/src/cli.js ...args --json` to completion and returns its one JSON line. */
export async function runCli(args: string[], env: Record<string, string>, cwd: string, dist = DIST): Promise<unknown> {
  const proc = spawn(process.execPath, [join(dist, 'src', 'cli.js'), ...args, '--json'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const [code] = (await once(proc, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`cli ${args.join(' ')} exited with ${code}: ${err.trim()}`);
  return JSON.parse(out.trim());
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => child.stop()));
}

/** The environment of a service child on the bench's database, allowing the stand-in, with keys made for this run. */
export function serviceEnvironment(mysqlUrl: string, arcgisOrigin: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    MYSQL_URL: mysqlUrl,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ACCESS_TOKEN_SIGNING_KEY: randomBytes(32).toString('hex'),
    AUTH_URL_ALLOWLIST: arcgisOrigin,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
  };
}
