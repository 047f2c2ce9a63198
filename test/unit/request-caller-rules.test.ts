import express, { type Express } from 'express';
import request from 'supertest';
import { errorHandler } from '../../src/http/error-handler';
import { exchangeOf, expressStages } from '../../src/http/exchange';
import { createRequestStages } from '../../src/http/request-stages';
import { SchemaValidator } from '../../src/http/schema-validator';
import { createLogger } from '../../src/logger';
import type { Role } from '../../src/domain';
import { createHarness, type Harness } from '../support/harness';

/**
 * The two request stages every /api/v1 route starts with, mounted alone in front of a route that answers
 * what they recorded: the request context (environment, actor, partner) and the caller.
 */
const ENV = 'env-a';
const PARTNER = '0f8fad5b-d9cb-469f-a165-70867728950e';

let harness: Harness;
let adminKey: string;
let readerKey: string;
const validator = new SchemaValidator({ maxBatch: 100 });
const logger = createLogger('silent');

function appFor(role: Role): Express {
  const stages = createRequestStages({
    validator,
    access: harness.services.access,
    keyRules: harness.services.keyRules,
    observe: () => {},
    corsAllowedOrigins: [],
  });
  const app = express();
  app.use(expressStages(...stages.everyRequest));
  app.get('/probe', expressStages(stages.atrHeaders, stages.authentication(role)), (req, res) => {
    const { ctx, principal } = exchangeOf(req);
    res.json({ ctx, principal });
  });
  app.use(errorHandler(logger));
  return app;
}

beforeAll(async () => {
  harness = createHarness();
  adminKey = await harness.key(ENV, 'admin');
  readerKey = await harness.key(ENV, 'reader');
});

afterAll(async () => {
  await harness.close();
});

async function keyIdOf(key: string): Promise<string> {
  const principal = await harness.services.access.authenticate(ENV, { subscriptionKey: key });
  return principal.id;
}

describe('atr-headers records the request context', () => {
  it('takes the environment, the request id, a trimmed request source as actor and the partner id', async () => {
    const res = await request(appFor('admin'))
      .get('/probe')
      .set('x-request-id', 'req-123')
      .set('atr-environment-id', ENV)
      .set('atr-subscription-key', adminKey)
      .set('atr-partner-id', PARTNER)
      .set('atr-request-source', '  floor-app  ');

    expect(res.status).toBe(200);
    expect(res.body.ctx).toEqual({ environment: ENV, requestId: 'req-123', actor: 'floor-app', partnerId: PARTNER });
  });

  it('records an empty partner id (as the Atrius samples send it) as no partner', async () => {
    const res = await request(appFor('admin'))
      .get('/probe')
      .set('atr-environment-id', ENV)
      .set('atr-subscription-key', adminKey)
      .set('atr-partner-id', '')
      .set('atr-request-source', 'script');

    expect(res.status).toBe(200);
    expect(res.body.ctx.partnerId).toBeNull();
    expect(res.body.ctx.actor).toBe('script');
  });

  it('answers 400 naming the header when the environment is missing, before any key is looked at', async () => {
    const res = await request(appFor('admin')).get('/probe').set('atr-subscription-key', 'not-a-key');

    expect(res.status).toBe(400);
    expect(res.body.code).toBe('BadRequest');
    expect(res.body.msg).toContain('atr-environment-id');
  });
});

describe('authenticate names the caller in the audit trail', () => {
  it('without atr-request-source, a key is recorded as key:<its id>', async () => {
    const res = await request(appFor('admin')).get('/probe').set('atr-environment-id', ENV).set('atr-subscription-key', adminKey);

    expect(res.status).toBe(200);
    expect(res.body.ctx.actor).toBe(`key:${await keyIdOf(adminKey)}`);
    expect(res.body.principal).toMatchObject({ kind: 'key', environment: ENV, role: 'admin', organizationId: null });
  });

  it.each(['', '   '])('a blank atr-request-source (%j) counts as none', async (source) => {
    const res = await request(appFor('admin'))
      .get('/probe')
      .set('atr-environment-id', ENV)
      .set('atr-subscription-key', adminKey)
      .set('atr-request-source', source);

    expect(res.status).toBe(200);
    expect(res.body.ctx.actor).toBe(`key:${await keyIdOf(adminKey)}`);
  });

  it('without atr-request-source, a client is recorded by its client id, not as a key', async () => {
    const { client, secret } = await harness.services.clients.createClient(
      { environment: ENV, role: 'admin', organizationId: null, description: null },
      'test',
    );
    const { access_token: token } = await harness.services.clients.issueToken(client.clientId, secret, ENV);

    const res = await request(appFor('admin')).get('/probe').set('atr-environment-id', ENV).set('Authorization', `Bearer ${token}`);

    expect(res.status).toBe(200);
    expect(res.body.ctx.actor).toBe(client.clientId);
    expect(res.body.principal).toMatchObject({ kind: 'client', id: client.clientId, role: 'admin' });
  });

  it('a request source of only non-breaking spaces counts as none, and they are trimmed from a real one', async () => {
    // HTTP strips spaces and tabs around a header value; other white space reaches the app.
    const blank = await request(appFor('admin'))
      .get('/probe')
      .set('atr-environment-id', ENV)
      .set('atr-subscription-key', adminKey)
      .set('atr-request-source', '\u00a0\u00a0');
    const padded = await request(appFor('admin'))
      .get('/probe')
      .set('atr-environment-id', ENV)
      .set('atr-subscription-key', adminKey)
      .set('atr-request-source', '\u00a0kiosk\u00a0');

    expect(blank.body.ctx.actor).toBe(`key:${await keyIdOf(adminKey)}`);
    expect(padded.body.ctx.actor).toBe('kiosk');
  });

  it('an atr-request-source wins over the key id', async () => {
    const res = await request(appFor('admin'))
      .get('/probe')
      .set('atr-environment-id', ENV)
      .set('atr-subscription-key', adminKey)
      .set('atr-request-source', 'nightly-sync');

    expect(res.body.ctx.actor).toBe('nightly-sync');
  });
});

describe('authenticate checks the role', () => {
  it('a reader key on an admin route gets 403 and the route does not run', async () => {
    const res = await request(appFor('admin')).get('/probe').set('atr-environment-id', ENV).set('atr-subscription-key', readerKey);

    expect(res.status).toBe(403);
    expect(res.body.code).toBe('Forbidden');
    expect(res.body.ctx).toBeUndefined();
  });

  it('a reader key on a reader route passes', async () => {
    const res = await request(appFor('reader')).get('/probe').set('atr-environment-id', ENV).set('atr-subscription-key', readerKey);

    expect(res.status).toBe(200);
    expect(res.body.principal.role).toBe('reader');
  });

  it.each([
    ['no key', undefined],
    ['an unknown key', 'mtp_unknown'],
  ])('with %s, the answer is 401', async (_what, key) => {
    const req = request(appFor('reader')).get('/probe').set('atr-environment-id', ENV);
    const res = await (key === undefined ? req : req.set('atr-subscription-key', key));

    expect(res.status).toBe(401);
    expect(res.body.code).toBe('Unauthorized');
  });

  it('a key of another environment is 401 in this one', async () => {
    const res = await request(appFor('reader')).get('/probe').set('atr-environment-id', 'env-b').set('atr-subscription-key', adminKey);

    expect(res.status).toBe(401);
  });
});
