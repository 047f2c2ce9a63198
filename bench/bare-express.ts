import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';

/**
 * The framework's ceiling: one Express 5 route with no middleware, answering with res.json() the
 * same body the token read returns (BENCH_BODY), as the service's handler does.
 */
async function main(): Promise<void> {
  const body: unknown = JSON.parse(process.env.BENCH_BODY ?? '{}');
  const app = express();
  app.get('/api/v1/map-tokens/:mapTokenID/token', (_req, res) => {
    res.json(body);
  });
  const server = app.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`bare express listening on http://127.0.0.1:${port}\n`);
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
  process.on('SIGINT', () => server.close(() => process.exit(0)));
}

void main();
