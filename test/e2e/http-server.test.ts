import { once } from 'node:events';
import type * as http from 'node:http';
import * as net from 'node:net';
import { createLogger } from '../../src/logger';
import { SchemaValidator } from '../../src/http/schema-validator';
import { createHttpServer, SLOW_CLIENT_LIMITS } from '../../src/http/http-server';
import { createHarness, type Harness } from '../support/harness';
import { captureLogs } from '../support/captured-logs';

/**
 * SPEC routes: requests that Node's HTTP parser refuses before any route runs still get a JSON error
 * envelope where the connection allows an answer; a client must send its headers within 10 s and its
 * whole request within 30 s, or the connection is closed. Raw sockets against a real listening port;
 * the limits are shortened here so that no test waits 10 s, and every wait is bounded.
 */

const HEADERS_MS = 600;
const REQUEST_MS = 1500;
const BOUND_MS = 8000;
const errorEnvelope = new SchemaValidator({ maxBatch: 100 }).compile('error.json');

let h: Harness;
let server: http.Server;
let port: number;

beforeAll(async () => {
  h = createHarness();
  server = createHttpServer(h.app, createLogger('silent'), { headersTimeoutMs: HEADERS_MS, requestTimeoutMs: REQUEST_MS });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await h.close();
});

interface RawAnswer {
  text: string;
  closedAfterMs: number;
}

/** Sends `chunks` (then keeps the socket open) and resolves with all it received once the server closes it. */
function raw(chunks: (string | Buffer)[], options: { dripMs?: number; drip?: string } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let drip: NodeJS.Timeout | undefined;
    const bound = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${BOUND_MS} ms`));
    }, BOUND_MS);
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(bound);
      clearInterval(drip);
      resolve({ text: Buffer.concat(received).toString('latin1'), closedAfterMs: Date.now() - started });
    });
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
      if (options.dripMs) drip = setInterval(() => socket.writable && socket.write(options.drip ?? 'x'), options.dripMs);
    });
  });
}

function parse(answer: RawAnswer): { status: number; headers: Record<string, string>; body: Record<string, unknown> } {
  const [head, body] = answer.text.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) };
}

function expectEnvelope(answer: RawAnswer, status: number, code: string): void {
  const { status: got, headers, body } = parse(answer);
  expect(got).toBe(status);
  expect(headers['content-type']).toBe('application/json; charset=utf-8');
  expect(body).toEqual({ msg: expect.any(String), requestId: headers['x-request-id'], code });
  expect(errorEnvelope(body)).toBe(true);
}

describe('requests the HTTP parser refuses get the JSON error envelope', () => {
  it('a control character in a header value: 400 BadRequest', async () => {
    expectEnvelope(await raw(['GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n']), 400, 'BadRequest');
  });

  it('60 KB of headers: 431 with code PayloadTooLarge', async () => {
    const big = Array.from({ length: 60 }, (_, i) => `X-Filler-${i}: ${'a'.repeat(1000)}\r\n`).join('');
    expectEnvelope(await raw([`GET /healthz HTTP/1.1\r\nHost: x\r\n${big}\r\n`]), 431, 'PayloadTooLarge');
  });

  it('Transfer-Encoding together with Content-Length: 400 BadRequest', async () => {
    const head =
      'PUT /api/v1/admin/map-tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n';
    expectEnvelope(await raw([`${head}2\r\n[]\r\n0\r\n\r\n`]), 400, 'BadRequest');
  });

  it('a malformed request line: 400 BadRequest', async () => {
    expectEnvelope(await raw(['NOT A REQUEST\r\n\r\n']), 400, 'BadRequest');
  });

  it('a secret in the refused request reaches neither the answer nor a log line', async () => {
    const { logger, text: logText } = captureLogs();
    const other = createHttpServer(h.app, logger, { headersTimeoutMs: HEADERS_MS, requestTimeoutMs: REQUEST_MS });
    other.listen(0, '127.0.0.1');
    await once(other, 'listening');
    try {
      const answer = await new Promise<string>((resolve) => {
        const socket = net.connect((other.address() as net.AddressInfo).port, '127.0.0.1', () =>
          socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\natr-subscription-key: mtp_very-secret-key\x01\r\n\r\n'),
        );
        const parts: Buffer[] = [];
        socket.on('data', (chunk) => parts.push(chunk));
        socket.on('close', () => resolve(Buffer.concat(parts).toString()));
      });
      expect(answer).toContain('400 Bad Request');
      expect(answer).not.toContain('very-secret');
      expect(logText()).toContain('request refused by the HTTP parser');
      expect(logText()).not.toContain('very-secret');
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('a well-formed request on the same server is still answered by the app', async () => {
    const answer = await raw(['GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    expect(answer.text).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe('slow clients are cut off', () => {
  it('a client sending its headers a byte at a time is closed once the headers limit has passed', async () => {
    const answer = await raw(['GET /healthz HTTP/1.1\r\nHost: x\r\n'], { dripMs: 50, drip: 'X' });
    expect(answer.closedAfterMs).toBeGreaterThanOrEqual(HEADERS_MS - 50);
    expect(answer.closedAfterMs).toBeLessThan(BOUND_MS);
    expect(answer.text).not.toMatch(/^HTTP\/1\.1 200/);
  });

  it('a client sending its body a byte at a time is closed once the request limit has passed', async () => {
    const head =
      'PUT /api/v1/admin/map-tokens HTTP/1.1\r\nHost: x\r\natr-environment-id: e\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n';
    const answer = await raw([head], { dripMs: 50, drip: ' ' });
    expect(answer.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_MS - 50);
    expect(answer.closedAfterMs).toBeLessThan(BOUND_MS);
  });

  it("the limits the service runs with are SPEC's: 10 s for the headers, 30 s for the whole request", () => {
    expect(SLOW_CLIENT_LIMITS).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 });
    const production = createHttpServer(h.app, createLogger('silent'));
    expect(production.headersTimeout).toBe(10_000);
    expect(production.requestTimeout).toBe(30_000);
  });
});
