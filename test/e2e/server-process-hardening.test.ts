import * as net from 'node:net';
import { join } from 'node:path';
import { type ServerProcess, startServer } from '../support/processes';

/**
 * The started service itself (src/server.ts): it answers parser errors with the envelope, and it logs a
 * promise rejection that nothing handled instead of dying or staying silent.
 */

let server: ServerProcess;

beforeAll(async () => {
  server = await startServer({ NODE_OPTIONS: `--require ${join(__dirname, 'fixtures', 'reject-on-sigusr2.js')}` });
});

afterAll(async () => {
  await server.stop('SIGTERM');
});

/** Resolves once the server's output matches `pattern`; rejects after `ms`. */
function untilOutput(pattern: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const match = server
        .output()
        .split('\n')
        .find((line) => pattern.test(line));
      if (match) {
        clearInterval(poll);
        resolve(match);
      } else if (Date.now() - started > ms) {
        clearInterval(poll);
        reject(new Error(`no output line matched ${pattern} within ${ms} ms:\n${server.output()}`));
      }
    }, 20);
  });
}

it('logs an unhandled promise rejection at error level, and keeps serving', async () => {
  server.child.kill('SIGUSR2');
  const line = JSON.parse(await untilOutput(/unhandled promise rejection/, 10_000)) as Record<string, unknown>;
  expect(line).toMatchObject({ level: 'error', msg: 'unhandled promise rejection', err: { message: 'deliberately unhandled rejection' } });
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
});

it('answers a request its HTTP parser refuses with the JSON error envelope', async () => {
  const { port } = new URL(server.url);
  const text = await new Promise<string>((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n'));
    const parts: Buffer[] = [];
    socket.on('data', (chunk) => parts.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(parts).toString()));
  });
  expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  expect(JSON.parse(text.split('\r\n\r\n')[1])).toEqual({ msg: expect.any(String), requestId: expect.any(String), code: 'BadRequest' });
});
