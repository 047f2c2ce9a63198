import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { forgetProcess, killProcess, registerProcess } from './stale-test-resources';

/**
 * Tests run the built program (dist/, compiled once by global setup), as `npm start` and the bin do:
 * no TypeScript compiler in each child, so a child starts in a fraction of a second even on a busy machine.
 */
const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');
const SERVER = join(ROOT, 'dist', 'src', 'server.js');
/** How long a child may take to start: generous, for a machine under heavy load. */
const START_TIMEOUT_MS = 45_000;

/** The environment a child starts with: this one, less anything that would change its config. */
function baseEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test' };
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) env[name] = value;
  return env;
}

/** Children of this test file that have not exited yet: killed with their process group after the file. */
const running = new Map<ChildProcess, boolean>();

function track(child: ChildProcess, group: boolean): void {
  if (child.pid === undefined) return;
  const pid = child.pid;
  running.set(child, group);
  registerProcess(pid, { group });
  child.once('exit', () => {
    running.delete(child);
    forgetProcess(pid);
  });
}

afterAll(() => {
  for (const [child, group] of running) if (child.pid !== undefined) killProcess(child.pid, group);
});

/** Runs the command line (dist/src/cli.js) and resolves with its exit code and output. */
export function runCli(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: ROOT, env: baseEnv(env), timeout: START_TIMEOUT_MS, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    track(child, false);
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts dist/src/server.js on a free port, in a process group of its own, and resolves once it logs that it listens. */
export function startServer(env: Record<string, string | undefined>, cwd = ROOT): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER], { cwd, env: baseEnv({ PORT: '0', HOST: '127.0.0.1', ...env }), detached: true });
    track(child, true);
    let out = '';
    const timer = setTimeout(() => {
      killProcess(child.pid!, true);
      reject(new Error(`server did not start within ${START_TIMEOUT_MS} ms:\n${out}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({
          child,
          url: `http://127.0.0.1:${match[1]}`,
          output: () => out,
          stop: (signal = 'SIGTERM') =>
            new Promise((done) => {
              if (child.exitCode !== null) return done(child.exitCode);
              child.once('exit', (code) => done(code));
              child.kill(signal);
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`server exited with ${code}:\n${out}`), { exitCode: code, output: out }));
    });
  });
}
