import { readFileSync } from 'node:fs';
import { type RequestHandler, Router } from 'express';
import helmet from 'helmet';
import { methodNotAllowed } from '../error-handler';
import { tagRoute } from '../observability';

/** Redoc's self-contained browser bundle, from the redoc package: the only file of it the page needs. */
const REDOC_BUNDLE = require.resolve('redoc/bundles/redoc.standalone.js');
const REDOC_PATH = '/docs/assets/redoc.standalone.js';
/**
 * The one address the bundle would load from elsewhere: the logo beside its "API docs by Redocly" link.
 * Served without it, the image fails at once and Redoc leaves it out; nothing else in the bundle fetches.
 */
const REDOCLY_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg';

// Absolute URLs: the page answers at /docs and /docs/ alike.
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>map-token-proxy API</title>
</head>
<body>
<div id="redoc"></div>
<script src="${REDOC_PATH}"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

// A file of its own, not an inline script: helmet's Content-Security-Policy (script-src 'self') forbids those.
const INIT_SCRIPT = `Redoc.init('/api/v1/openapi.json', {
  expandResponses: '200',
  hideHostname: false,
  pathInMiddlePanel: true,
}, document.getElementById('redoc'));
`;

/**
 * helmet's policy for the page, with two changes. No upgrade-insecure-requests: over plain HTTP (e.g. the
 * compose file's http://host:8080) it would send the page's own script requests to https:// and the page
 * would stay blank; the page names only same-origin paths, so behind TLS they are https anyway.
 * worker-src 'self' blob:: Redoc runs its search index in a worker that it builds from its own bundle.
 */
const pagePolicy = helmet.contentSecurityPolicy({ directives: { upgradeInsecureRequests: null, workerSrc: ["'self'", 'blob:'] } });

/** A map pin: the icon browsers show for /docs. */
const FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path fill="#0079c1" d="M8 0a5.5 5.5 0 0 0-5.5 5.5C2.5 10 8 16 8 16s5.5-6 5.5-10.5A5.5 5.5 0 0 0 8 0zm0 8a2.5 2.5 0 1 1 0-5 2.5 2.5 0 0 1 0 5z"/></svg>';

let bundleText: string | undefined;
/** Read once per process (1 MB; every app built, e.g. one per test, serves the same file). */
function redocBundle(): string {
  bundleText ??= readFileSync(REDOC_BUNDLE, 'utf8').split(REDOCLY_LOGO).join('');
  return bundleText;
}

/**
 * GET /api/v1/openapi.json and GET /docs, an API explorer page (Redoc), served from this service with
 * exactly the files the page needs: the page loads nothing from elsewhere and sends no telemetry.
 */
export function docsRouter(document: object): Router {
  const router = Router();
  const body = JSON.stringify(document);

  const text = (path: string, type: string, content: string, ...before: RequestHandler[]) =>
    router
      .route(path)
      .all(tagRoute(''))
      .get(...before, (_req, res) => {
        res.setHeader('Cache-Control', 'no-cache');
        res.type(type).send(content);
      })
      .all(methodNotAllowed(['GET']));
  text('/api/v1/openapi.json', 'application/json', body);
  text('/docs', 'html', PAGE, pagePolicy);
  text('/docs/init.js', 'text/javascript', INIT_SCRIPT);

  // Browsers ask for /favicon.ico on their own (Chromium 156 logs a 404 for it as a console error)
  router
    .route('/favicon.ico')
    .all(tagRoute(''))
    .get((_req, res) => {
      res.setHeader('Cache-Control', 'public, max-age=86400');
      res.type('image/svg+xml').send(FAVICON);
    })
    .all(methodNotAllowed(['GET']));

  const bundle = redocBundle();
  router
    .route(REDOC_PATH)
    .all(tagRoute(''))
    .get((_req, res) => {
      res.setHeader('Cache-Control', 'public, max-age=3600');
      res.type('text/javascript').send(bundle);
    })
    .all(methodNotAllowed(['GET']));
  return router;
}
