import type { RequestListener } from 'node:http';
import express, { type Express } from 'express';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { Services } from './services/services';
import { errorHandler, notFound } from './http/error-handler';
import { expressStages } from './http/exchange';
import { fastPath } from './http/fast-path';
import { requestObserver } from './http/observability';
import { buildOpenApi } from './http/openapi';
import { createRequestStages } from './http/request-stages';
import { ADMIN_MAP_TOKENS_MOUNT, adminMapTokensRouter } from './http/routes/admin-map-tokens';
import { AUTH_MOUNT, authRouter } from './http/routes/auth';
import { browserClientRouter } from './http/routes/browser-client';
import { docsRouter } from './http/routes/docs';
import { opsRouter } from './http/routes/ops';
import { TOKEN_READ_ROUTE, tokenReadGet, tokenReadPipeline, tokenReadRouter } from './http/routes/token-read';
import { SchemaValidator } from './http/schema-validator';

export interface AppDeps {
  config: Config;
  services: Services;
  logger: Logger;
  metrics: Metrics;
  validator?: SchemaValidator;
}

export interface App {
  /** Every request: the token read's fast path, else Express. What http.createServer and supertest take. */
  listener: RequestListener;
  /** The Express app behind the fast path. */
  express: Express;
}

/** Builds the HTTP app: the request stages, the routes, one error handler. Listening is server.ts's job. */
export function createApp({
  config,
  services,
  logger,
  metrics,
  validator = new SchemaValidator({ maxBatch: config.maxBatch }),
}: AppDeps): App {
  const { mapTokens, access } = services;
  const stages = createRequestStages({
    validator,
    access,
    keyRules: services.keyRules,
    observe: requestObserver(logger, metrics),
    corsAllowedOrigins: config.corsAllowedOrigins,
  });
  const tokenRead = tokenReadPipeline(stages, mapTokens, validator);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');
  // API answers are not cached by validators: the token read is no-store, and hashing every body costs
  app.set('etag', false);
  answerNotModifiedOnlyWithValidator(app);

  app.use(expressStages(...stages.everyRequest));
  app.use(tokenReadRouter(tokenRead));
  app.use(ADMIN_MAP_TOKENS_MOUNT, adminMapTokensRouter(stages, mapTokens, validator, config.maxBodyBytes));
  app.use(AUTH_MOUNT, authRouter(stages, services.clients, validator));
  app.use(opsRouter(services.store, metrics.registry));
  app.use(browserClientRouter());
  app.use(docsRouter(buildOpenApi(validator, { maxBatch: config.maxBatch })));
  app.use(notFound);
  app.use(errorHandler(logger));

  // the token read in the spelling clients send never enters Express: the same stages, run in front of it
  const fast = fastPath(TOKEN_READ_ROUTE, tokenReadGet(stages, tokenRead), logger);
  return {
    listener: (req, res) => {
      if (!fast(req, res)) app(req, res);
    },
    express: app,
  };
}

/**
 * A 304 only for an answer that carries an ETag (the browser module): Express's freshness check takes
 * `If-None-Match: *` as a match for any answer, even a no-store JSON answer with no validator, and would
 * send it empty. `app.request` is where Express lets an app extend its requests.
 */
function answerNotModifiedOnlyWithValidator(app: Express): void {
  const expressFresh = Object.getOwnPropertyDescriptor(express.request, 'fresh')?.get;
  if (expressFresh === undefined) throw new Error("express.request has no 'fresh' getter to extend");
  Object.defineProperty(app.request, 'fresh', {
    configurable: true,
    enumerable: true,
    get(this: express.Request): boolean {
      return this.res?.getHeader('ETag') !== undefined && expressFresh.call(this) === true;
    },
  });
}
