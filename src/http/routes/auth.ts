import express, { type NextFunction, type Request, type RequestHandler, type Response, Router } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { ApiError } from '../../errors';
import { type ClientCredentialsService, OAuthError } from '../../services/client-credentials-service';
import { methodNotAllowed } from '../error-handler';
import { tagRoute } from '../observability';
import { checkedQuery } from '../query';
import { contextOf, expressStages } from '../exchange';
import type { RequestStages } from '../request-stages';
import type { SchemaValidator } from '../schema-validator';

/** The token endpoint's body cap: a token request is a few hundred bytes. */
const TOKEN_REQUEST_MAX_BYTES = 16 * 1024;
/** RFC 6749 section 5.2: a body the endpoint refuses is invalid_request, 400, whatever the reason. */
export const TOKEN_REQUEST_TOO_LARGE = 'The request body is over 16 KiB; a token request is a few hundred bytes.';

/** Where app.ts mounts this router; the start of every route template in logs and metrics. */
export const AUTH_MOUNT = '/api/v1/auth';

/**
 * Failed logins allowed per window before 429: per address and client id, and per address whatever the
 * client id. Nothing counts per client id alone, so failures from other addresses can never lock a
 * client out (see docs/api.md, "Client credentials"). An IPv6 address counts by its /56.
 */
const LOGIN_FAILURES_PER_ADDRESS_AND_CLIENT = 10;
const LOGIN_FAILURES_PER_ADDRESS = 30;
const LOGIN_WINDOW_MS = 60_000;

const addressOf = (req: Request): string => ipKeyGenerator(req.ip ?? '');

/**
 * The client id a failed login counts against. Spellings that differ only by trailing white space or
 * case share one counter: they cannot log in (ids match byte for byte), and must not buy more guesses.
 */
const counterId = (clientId: string | undefined): string =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL padding is one of the spellings that must share a counter
  clientId === undefined ? '-' : clientId.replace(/[\s\u0000]+$/, '').toLowerCase();

interface TokenRequest {
  grant_type: string;
  client_id?: string;
  client_secret?: string;
}

/** /api/v1/auth: the client-credentials token endpoint and self-service secret management. */
export function authRouter(stages: RequestStages, clients: ClientCredentialsService, validator: SchemaValidator): Router {
  const router = Router();
  const tooMany = (_req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-store');
    res
      .status(429)
      .json({ error: 'invalid_request', error_description: 'Too many failed logins; wait before trying again (see Retry-After).' });
  };
  const common = {
    windowMs: LOGIN_WINDOW_MS,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-7' as const,
    legacyHeaders: false,
    handler: tooMany,
  };
  const perAddress = rateLimit({ ...common, limit: LOGIN_FAILURES_PER_ADDRESS, keyGenerator: addressOf });
  const perClient = rateLimit({
    ...common,
    limit: LOGIN_FAILURES_PER_ADDRESS_AND_CLIENT,
    keyGenerator: (req) => `${addressOf(req)}|${counterId(credentialsOf(req)?.clientId)}`,
  });

  router
    .route('/token')
    .all(tagRoute(AUTH_MOUNT))
    .post(
      express.urlencoded({ extended: false, limit: TOKEN_REQUEST_MAX_BYTES, parameterLimit: 20 }),
      express.json({ limit: TOKEN_REQUEST_MAX_BYTES }),
      perAddress,
      perClient,
      async (req, res) => {
        res.setHeader('Cache-Control', 'no-store');
        res.setHeader('Pragma', 'no-cache');
        const answer = await clients.issueToken(...tokenRequest(req, validator), environmentOf(req));
        res.json(answer);
      },
    )
    .all(methodNotAllowed(['POST']));

  const anyRole: RequestHandler[] = [expressStages(stages.atrHeaders, stages.authentication('reader'), stages.keyRules)];
  router
    .route('/clientcredentials')
    .all(tagRoute(AUTH_MOUNT))
    .get(...anyRole, async (req, res) => {
      res.json(await clients.listSecrets(contextOf(req).principal));
    })
    .post(...anyRole, async (req, res) => {
      const { ctx, principal } = contextOf(req);
      const query = checkedQuery<{ description?: string; customerId?: string }>(validator, req, 'client-secret-create-query.json');
      res.setHeader('Cache-Control', 'no-store');
      res.json(await clients.createSecret(principal, ctx, query.description ?? null, query.customerId));
    })
    .delete(...anyRole, async (req, res) => {
      const { ctx, principal } = contextOf(req);
      const query = checkedQuery<{ id: string; customerId?: string }>(validator, req, 'client-secret-delete-query.json');
      await clients.deleteSecret(principal, ctx, query.id, query.customerId);
      res.json({ deleted: query.id });
    })
    .all(methodNotAllowed(['GET', 'POST', 'DELETE']));

  router.use(oauthErrors);
  return router;
}

function credentialsOf(req: Request): { clientId: string; clientSecret: string } | null {
  const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1] ?? '', 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      // RFC 6749 2.3.1: both parts are form-urlencoded before they are joined
      try {
        return {
          clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
          clientSecret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
        };
      } catch {
        return null;
      }
    }
    return null;
  }
  const body = (req.body ?? {}) as Record<string, unknown>;
  return typeof body.client_id === 'string' && typeof body.client_secret === 'string'
    ? { clientId: body.client_id, clientSecret: body.client_secret }
    : null;
}

function tokenRequest(req: Request, validator: SchemaValidator): [string, string] {
  const type = req.headers['content-type'];
  if (type !== undefined && !req.is(['application/x-www-form-urlencoded', 'application/json'])) {
    throw new OAuthError(400, 'invalid_request', 'Send the request as application/x-www-form-urlencoded (or application/json).');
  }
  const body = (req.body ?? {}) as Record<string, unknown>;
  if (body.grant_type === undefined) throw new OAuthError(400, 'invalid_request', 'grant_type is required (client_credentials).');
  if (body.grant_type !== 'client_credentials')
    throw new OAuthError(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported.');
  try {
    validator.check<TokenRequest>('auth-token-request.json', body, 'body');
  } catch (error) {
    const detail = (error as { details?: { path: string; message: string }[] }).details?.[0];
    throw new OAuthError(400, 'invalid_request', detail ? `${detail.path.slice(1)} ${detail.message}` : 'The request is malformed.');
  }
  const credentials = credentialsOf(req);
  if (req.headers.authorization && body.client_secret !== undefined) {
    throw new OAuthError(400, 'invalid_request', 'Send the client credentials either with HTTP Basic or in the body, not both.');
  }
  if (!credentials)
    throw new OAuthError(401, 'invalid_client', 'client_id and client_secret are required (in the body or with HTTP Basic).');
  return [credentials.clientId, credentials.clientSecret];
}

function environmentOf(req: Request): string | null {
  const value = req.headers['atr-environment-id'];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The token endpoint answers in RFC 6749's shape, not the Atrius envelope. */
function oauthErrors(error: unknown, req: Request, res: Response, next: NextFunction): void {
  // a body the parsers refused (malformed, not decompressible, too many fields) is an OAuth invalid_request too
  const { type, status } = (error ?? {}) as { type?: string; status?: unknown };
  const bodyError = type !== undefined || (typeof status === 'number' && status >= 400 && status < 500 && !(error instanceof ApiError));
  if (!(error instanceof OAuthError) && !(req.path === '/token' && bodyError)) return next(error);
  const oauth =
    error instanceof OAuthError
      ? error
      : type === 'entity.too.large'
        ? new OAuthError(400, 'invalid_request', TOKEN_REQUEST_TOO_LARGE)
        : new OAuthError(400, 'invalid_request', 'The request body could not be parsed.');
  res.setHeader('Cache-Control', 'no-store');
  if (oauth.status === 401 && req.headers.authorization?.startsWith('Basic '))
    res.setHeader('WWW-Authenticate', 'Basic realm="map-token-proxy"');
  res.status(oauth.status).json({ error: oauth.error, error_description: oauth.description });
}
