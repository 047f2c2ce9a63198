import express, { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import helmet from 'helmet';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import { NotFoundError } from '../../errors';
import { methodNotAllowed } from '../error-handler';
import { tagRoute } from '../observability';

const ASSETS = '/docs/assets';

// Absolute URLs: the page answers at /docs and /docs/ alike.
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>map-token-proxy API</title>
<link rel="stylesheet" href="${ASSETS}/swagger-ui.css">
<link rel="icon" type="image/png" href="${ASSETS}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${ASSETS}/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

// A file of its own, not an inline script: helmet's Content-Security-Policy (script-src 'self') forbids those.
// validatorUrl null: Swagger UI would otherwise send the document to an online validator.
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/api/v1/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  plugins: [SwaggerUIBundle.plugins.DownloadUrl],
  layout: 'BaseLayout',
});
`;

/**
 * helmet's policy for the page, less upgrade-insecure-requests: over plain HTTP (e.g. the compose file's
 * http://host:8080) it would send the page's own script and style requests to https:// and the page would stay
 * blank. The page names only same-origin paths, so behind TLS they are https anyway. Everything else stays.
 */
const pagePolicy = helmet.contentSecurityPolicy({ directives: { upgradeInsecureRequests: null } });

// swagger-ui-dist's demo page and its initializer, which loads the Petstore from the internet
const DEMO_FILES = new Set(['/index.html', '/swagger-initializer.js']);

/**
 * GET /api/v1/openapi.json and GET /docs, an API explorer page. Swagger UI is served from the
 * swagger-ui-dist package under /docs/assets: the page loads nothing from elsewhere.
 */
export function docsRouter(document: object): Router {
  const router = Router();
  const body = JSON.stringify(document);

  const text = (path: string, type: string, content: string, ...before: RequestHandler[]) =>
    router
      .route(path)
      .all(tagRoute)
      .get(...before, (_req, res) => {
        res.setHeader('Cache-Control', 'no-cache');
        res.type(type).send(content);
      })
      .all(methodNotAllowed(['GET']));
  text('/api/v1/openapi.json', 'application/json', body);
  text('/docs', 'html', PAGE, pagePolicy);
  text('/docs/init.js', 'text/javascript', INIT_SCRIPT);

  router.use(ASSETS, tagRoute, withoutDemoFiles, express.static(getAbsoluteFSPath(), { index: false, maxAge: '1h', fallthrough: true }));
  return router;
}

function withoutDemoFiles(req: Request, _res: Response, next: NextFunction): void {
  next(DEMO_FILES.has(req.path) ? new NotFoundError(`No route ${req.method} ${req.originalUrl.split('?')[0]}.`) : undefined);
}
