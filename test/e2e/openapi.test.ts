import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import request from 'supertest';
import { buildOpenApi } from '../../src/http/openapi';
import { SchemaValidator } from '../../src/http/schema-validator';
import { allRefs, openApiProblems, resolvePointer } from '../support/openapi-structure';
import { createHarness, type Harness } from '../support/harness';

type Json = Record<string, unknown>;

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: unknown;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'patch'];
const joinPath = (prefix: string, path: string) => `${prefix.replace(/\/$/, '')}${path === '/' ? '' : path}` || '/';

/** "METHOD /path" of every route in an Express 5 router stack, mounted routers included, in OpenAPI's {param} form. */
function servedRoutes(stack: Layer[], prefix = ''): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const path = joinPath(prefix, layer.route.path).replace(/:(\w+)/g, '{$1}');
      return Object.keys(layer.route.methods)
        .filter((method) => method !== '_all')
        .map((method) => `${method.toUpperCase()} ${path}`);
    }
    if (!layer.handle.stack) return [];
    if (typeof layer.rawPath !== 'string')
      throw new Error(`a router is mounted on a non-string path (${String(layer.rawPath)}); extend this walk`);
    return servedRoutes(layer.handle.stack, joinPath(prefix, layer.rawPath));
  });
}

function documentedRoutes(document: Json): string[] {
  return Object.entries(document.paths as Record<string, Json>).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method] !== undefined).map((method) => `${method.toUpperCase()} ${path}`),
  );
}

/** JSON pointers of every media type object (request bodies and responses, in paths and components). */
function mediaTypes(node: unknown, at = '#'): string[] {
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, child]) => {
    const here = `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (key === 'content' && typeof child === 'object' && child !== null) {
      return Object.keys(child).map((type) => `${here}/${type.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    }
    return mediaTypes(child, here);
  });
}

describe('the OpenAPI document', () => {
  let harness: Harness;
  let document: Json;

  beforeAll(async () => {
    harness = createHarness();
    document = (
      await request(harness.app)
        .get('/api/v1/openapi.json')
        .expect(200)
        .expect('Content-Type', /application\/json/)
    ).body;
  });
  afterAll(() => harness.close());

  it('is structurally valid OpenAPI 3.1 with a title and the package version', () => {
    expect(openApiProblems(document)).toEqual([]);
    expect(document.openapi).toBe('3.1.0');
    const info = document.info as Json;
    expect(info.title).toBe('map-token-proxy');
    expect(info.version).toBe(require('../../package.json').version);
    expect(info.description).toMatch(/write-only/);
    expect(info.description).toMatch(/minutes/);
  });

  it("is the document buildOpenApi assembles from the validator's schemas", () => {
    const validator = new SchemaValidator({ maxBatch: harness.config.maxBatch });
    expect(document).toEqual(JSON.parse(JSON.stringify(buildOpenApi(validator, { maxBatch: harness.config.maxBatch }))));
  });

  it('holds every file of schemas/ under its title, without $schema or $id, and every $ref resolves', () => {
    const validator = new SchemaValidator({ maxBatch: 100 });
    const schemas = (document.components as Json).schemas as Record<string, Json>;
    expect(Object.keys(schemas).sort()).toEqual(
      Object.values(validator.schemas)
        .map((schema) => schema.title as string)
        .sort(),
    );
    for (const schema of Object.values(schemas)) {
      expect(schema.$schema).toBeUndefined();
      expect(schema.$id).toBeUndefined();
    }
    const refs = allRefs(document);
    expect(refs.length).toBeGreaterThan(20);
    for (const { at, ref } of refs) {
      expect(`${at} -> ${ref}: ${resolvePointer(document, ref) === undefined ? 'unresolved' : 'ok'}`).toMatch(/ok$/);
      expect(ref).not.toMatch(/\.json/);
    }
  });

  it('has components.schemas that compile as JSON Schema 2020-12 and examples that match their schemas', () => {
    const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
    addFormats(ajv);
    // the document's own fields are no JSON Schema keywords: declare them so that strict mode lets the root compile
    for (const field of Object.keys(document)) ajv.addKeyword({ keyword: field });
    ajv.addSchema(document, 'openapi.json');
    for (const title of Object.keys((document.components as Json).schemas as Json)) {
      expect(() => ajv.getSchema(`openapi.json#/components/schemas/${title}`)).not.toThrow();
    }
    let checked = 0;
    for (const pointer of mediaTypes(document)) {
      const media = resolvePointer(document, pointer) as Json;
      if (!media.schema) continue;
      const validate = ajv.getSchema(`openapi.json${pointer}/schema`)!;
      const examples = [
        ...(media.example !== undefined ? [media.example] : []),
        ...Object.values((media.examples ?? {}) as Record<string, Json>).map((example) => example.value),
      ];
      for (const example of examples) {
        checked++;
        expect({ pointer, valid: validate(example), errors: validate.errors ?? null }).toEqual({ pointer, valid: true, errors: null });
      }
    }
    expect(checked).toBeGreaterThan(15);
  });

  it('documents every route the app serves, and serves every route it documents', () => {
    const served = servedRoutes((harness.express as unknown as { router: { stack: Layer[] } }).router.stack)
      // the explorer page's own files (its script, the explorer's bundle) belong to GET /docs, and so does
      // the icon browsers fetch on their own; neither is part of the API
      .filter((route) => !route.split(' ')[1].startsWith('/docs/') && route !== 'GET /favicon.ico');
    expect(served).toContain('PUT /api/v1/admin/map-tokens');
    expect(new Set(documentedRoutes(document))).toEqual(new Set(served));
  });

  it('documents the atr-* headers, security, x-request-id and the error envelope on every /api/v1 operation', () => {
    const paths = document.paths as Record<string, Record<string, Json>>;
    const deref = (value: unknown) => ((value as Json).$ref ? resolvePointer(document, (value as Json).$ref as string) : value) as Json;
    for (const route of documentedRoutes(document)) {
      const [method, path] = route.split(' ');
      const operation = paths[path][method.toLowerCase()];
      for (const [status, value] of Object.entries(operation.responses as Json)) {
        const response = deref(value);
        expect({ route, status, requestId: Boolean((response.headers as Json | undefined)?.['x-request-id']) }).toEqual({
          route,
          status,
          requestId: true,
        });
        if (Number(status) >= 400 && path.startsWith('/api/v1/')) {
          const schema = ((response.content as Json)['application/json'] as Json).schema as Json;
          expect({ route, status, schema: schema.$ref }).toEqual({
            route,
            status,
            schema:
              path === '/api/v1/auth/token' && Number(status) < 500 ? '#/components/schemas/OAuthError' : '#/components/schemas/Error',
          });
        }
      }
      if (!path.startsWith('/api/v1/') || path === '/api/v1/openapi.json' || path === '/api/v1/auth/token' || method === 'OPTIONS')
        continue;
      const names = (operation.parameters as Json[]).map((parameter) => deref(parameter));
      expect(names.find((parameter) => parameter.name === 'atr-environment-id')).toMatchObject({ in: 'header', required: true });
      expect(names.map((parameter) => parameter.name)).toEqual(expect.arrayContaining(['atr-partner-id', 'atr-request-source']));
      expect(operation.security).toEqual(expect.arrayContaining([{ bearerAuth: [] }]));
    }
    const schemes = (document.components as Json).securitySchemes as Json;
    expect(schemes).toMatchObject({
      subscriptionKey: { type: 'apiKey', in: 'header', name: 'atr-subscription-key' },
      bearerAuth: { type: 'http', scheme: 'bearer' },
      clientBasic: { type: 'http', scheme: 'basic' },
    });
    expect(paths['/api/v1/admin/map-tokens'].put.security).toEqual([{ subscriptionKey: [] }, { bearerAuth: [] }]);
    expect(Object.keys((paths['/api/v1/auth/token'].post.requestBody as Json).content as Json).sort()).toEqual([
      'application/json',
      'application/x-www-form-urlencoded',
    ]);
    const responses = Object.keys((document.components as Json).responses as Json);
    expect(responses).toEqual(
      expect.arrayContaining([
        'BadRequest',
        'Unauthorized',
        'Forbidden',
        'NotFound',
        'MethodNotAllowed',
        'PayloadTooLarge',
        'UnsupportedMediaType',
        'InternalError',
        'BadGateway',
        'ServiceUnavailable',
        'GatewayTimeout',
        'OAuthTooManyRequests',
      ]),
    );
  });

  it('takes its query and path parameters from schemas/ and its batch limit from MAX_BATCH', () => {
    const validator = new SchemaValidator({ maxBatch: 7 });
    const built = buildOpenApi(validator, { maxBatch: 7 }) as Json;
    const paths = built.paths as Record<string, Record<string, Json>>;
    const list = (paths['/api/v1/admin/map-tokens'].get.parameters as Json[]).filter((parameter) => parameter.in === 'query');
    expect(list.map((parameter) => parameter.name)).toEqual(Object.keys(validator.schemas['map-token-list-query.json'].properties as Json));
    expect(list.find((parameter) => parameter.name === 'limit')).toMatchObject({
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 1000 },
    });
    expect(
      (paths['/api/v1/auth/clientcredentials'].delete.parameters as Json[]).find((parameter) => parameter.name === 'id'),
    ).toMatchObject({ in: 'query', required: true });
    expect(((built.components as Json).schemas as Json).MapTokenPutRequest).toMatchObject({
      type: 'array',
      maxItems: 7,
      items: { $ref: '#/components/schemas/MapTokenWrite' },
    });
    expect((built.components as Json).parameters).toMatchObject({
      mapTokenID: { in: 'path', required: true, schema: { $ref: '#/components/schemas/MapTokenID' } },
    });
  });

  it('never shows a client secret in an answer: no authToken in any response example', () => {
    const text = JSON.stringify(document);
    expect(text).not.toContain('cb3793c4272243fdaab1169d2228e442243fdaab1169d2228e4493c4272243fdaab1d2228e448');
    const responseMedia = mediaTypes(document).filter((pointer) => pointer.includes('/responses/'));
    for (const pointer of responseMedia) expect(JSON.stringify(resolvePointer(document, pointer))).not.toContain('"authToken"');
  });
});
