import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Router } from 'express';
import { ApiError } from '../../errors';
import { projectRoot } from '../../project-root';
import { methodNotAllowed } from '../error-handler';
import { tagRoute } from '../observability';

/** The built files (scripts/build-client.js, part of `npm run build`) and how each is served. */
const DECLARATIONS_PATH = '/client/map-token-client.d.ts';
const FILES = [
  { path: '/client/map-token-client.js', file: 'map-token-client.js', type: 'text/javascript; charset=utf-8' },
  // declarations are TypeScript source: plain text to a browser, and never run as script
  { path: DECLARATIONS_PATH, file: 'map-token-client.d.ts', type: 'text/plain; charset=utf-8' },
];

interface Served {
  body: Buffer;
  etag: string;
}

/**
 * GET /client/map-token-client.js and .d.ts: the browser client, which pages on other origins import
 * (module scripts are fetched with CORS, so every origin may read it). Cached for 5 minutes, then
 * revalidated by ETag: a deployment's new client reaches pages within minutes, at the cost of a 304.
 */
export function browserClientRouter(distFolder = join(projectRoot(), 'dist', 'client')): Router {
  const router = Router();
  for (const { path, file, type } of FILES) {
    let served: Served | undefined;
    router
      .route(path)
      .all(tagRoute(''))
      .get((_req, res) => {
        served ??= load(join(distFolder, file));
        res.setHeader('Access-Control-Allow-Origin', '*');
        // helmet's same-origin policy would keep the file from pages elsewhere, which is the point of it
        res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
        res.setHeader('Cache-Control', 'public, max-age=300');
        res.setHeader('ETag', served.etag);
        // where Deno and similar tools find the module's types
        if (path !== DECLARATIONS_PATH) res.setHeader('X-TypeScript-Types', DECLARATIONS_PATH);
        // express answers 304 when If-None-Match matches the ETag set above (req.fresh)
        res.type(type).send(served.body);
      })
      .all(methodNotAllowed(['GET']));
  }
  return router;
}

function load(file: string): Served {
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch {
    throw new ApiError(503, 'ServiceUnavailable', 'The browser client is not built: run `npm run build`.');
  }
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}
