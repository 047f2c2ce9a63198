import { readFileSync } from 'node:fs';
import { type RequestHandler, Router } from 'express';
import helmet from 'helmet';
import { methodNotAllowed } from '../error-handler';
import { tagRoute } from '../observability';

/**
 * Swagger UI's browser bundle and style sheet, from the swagger-ui-dist package: the only files of it the
 * page needs. Their source-map comments are cut, so that no browser asks for a file that is not served.
 */
const ASSETS = {
  '/docs/assets/swagger-ui-bundle.js': { file: require.resolve('swagger-ui-dist/swagger-ui-bundle.js'), type: 'text/javascript' },
  '/docs/assets/swagger-ui.css': { file: require.resolve('swagger-ui-dist/swagger-ui.css'), type: 'text/css' },
};
const SOURCE_MAP_COMMENT = /\n?(\/\/# sourceMappingURL=\S+|\/\*# sourceMappingURL=\S+ ?\*\/)\s*$/;

// Absolute URLs: the page answers at /docs and /docs/ alike.
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>map-token-proxy API</title>
<link rel="icon" href="/favicon.ico">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="explorer"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

/**
 * A file of its own, not an inline script: helmet's Content-Security-Policy (script-src 'self') forbids
 * those. validatorUrl null: Swagger UI would otherwise send the document to validator.swagger.io for a
 * badge. The key a person pastes under "Authorize" stays in the page (persistAuthorization off: not
 * even in localStorage).
 */
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/api/v1/openapi.json',
  dom_id: '#explorer',
  deepLinking: true,
  validatorUrl: null,
  persistAuthorization: false,
  displayRequestDuration: true,
  defaultModelsExpandDepth: 0,
});
`;

/**
 * helmet's policy for the page, less upgrade-insecure-requests: over plain HTTP (e.g. the compose file's
 * http://host:8080) it would send the page's own requests to https:// and the page would stay blank; the
 * page names only same-origin paths, so behind TLS they are https anyway.
 */
const pagePolicy = helmet.contentSecurityPolicy({ directives: { upgradeInsecureRequests: null } });

/** A map pin: the icon browsers show for /docs. */
const FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path fill="#0079c1" d="M8 0a5.5 5.5 0 0 0-5.5 5.5C2.5 10 8 16 8 16s5.5-6 5.5-10.5A5.5 5.5 0 0 0 8 0zm0 8a2.5 2.5 0 1 1 0-5 2.5 2.5 0 0 1 0 5z"/></svg>';

const assetText = new Map<string, string>();
/** Read once per process (1.7 MB; every app built, e.g. one per test, serves the same files). */
function asset(file: string): string {
  let text = assetText.get(file);
  if (text === undefined) {
    text = readFileSync(file, 'utf8').replace(SOURCE_MAP_COMMENT, '\n');
    assetText.set(file, text);
  }
  return text;
}

/**
 * GET /api/v1/openapi.json and GET /docs, an API explorer page (Swagger UI) in which a person pastes a key
 * and sends requests ("Try it out"), served from this service with exactly the files the page needs: the
 * page loads nothing from elsewhere and sends no telemetry.
 */
export function docsRouter(document: object): Router {
  const router = Router();
  const body = JSON.stringify(document);

  const serve = (path: string, type: string, content: string, cacheControl: string, ...before: RequestHandler[]) =>
    router
      .route(path)
      .all(tagRoute(''))
      .get(...before, (_req, res) => {
        res.setHeader('Cache-Control', cacheControl);
        res.type(type).send(content);
      })
      .all(methodNotAllowed(['GET']));
  serve('/api/v1/openapi.json', 'application/json', body, 'no-cache');
  serve('/docs', 'html', PAGE, 'no-cache', pagePolicy);
  serve('/docs/init.js', 'text/javascript', INIT_SCRIPT, 'no-cache');
  for (const [path, { file, type }] of Object.entries(ASSETS)) serve(path, type, asset(file), 'public, max-age=3600');
  // Browsers ask for /favicon.ico on their own (Chromium 156 logs a 404 for it as a console error)
  serve('/favicon.ico', 'image/svg+xml', FAVICON, 'public, max-age=86400');
  return router;
}
