import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { ApplicationCredentialsManager } from '@esri/arcgis-rest-request';
import express from 'express';

/**
 * What a user would otherwise write: an Express 5 route that asks Esri's own helper,
 * ApplicationCredentialsManager.getToken() from @esri/arcgis-rest-request, for an app token from the
 * ArcGIS stand-in (BENCH_PORTAL, the stand-in's /sharing/rest) and answers it in the token read's
 * shape. No keys, environments, logs or metrics; the helper keeps the token in memory until it expires.
 */
async function main(): Promise<void> {
  const portal = process.env.BENCH_PORTAL;
  if (!portal) throw new Error('BENCH_PORTAL is not set');
  const manager = ApplicationCredentialsManager.fromCredentials({
    clientId: 'bench-esri-app',
    clientSecret: 'bench-esri-secret',
    portal,
    duration: 120,
  });
  const app = express();
  app.get('/api/v1/map-tokens/:mapTokenID/token', async (req, res) => {
    const token = await manager.getToken(portal);
    const expires = manager.expires!.getTime();
    res.json({
      mapTokenID: Number(req.params.mapTokenID),
      token,
      token_Expire_Date: new Date(expires).toISOString(),
      expires_in: Math.max(0, Math.floor((expires - Date.now()) / 1000)),
      expires,
      server: portal,
      ssl: portal.startsWith('https:'),
    });
  });
  const server = app.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`esri helper express listening on http://127.0.0.1:${port}\n`);
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
  process.on('SIGINT', () => server.close(() => process.exit(0)));
}

main().catch((error: unknown) => {
  process.stderr.write(`esri helper express: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
