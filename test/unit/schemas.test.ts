import { SchemaValidator } from '../../src/http/schema-validator';
import { ATRIUS_EXAMPLE_ITEM } from '../support/atrius-example';
import { readFileSync } from 'node:fs';
import { mapTokenSchema, mapTokenUsageSchema, mapTokenWriteSchema, refreshErrorSchema, tokenReadSchema } from '../../src/generated/schemas';
import type { MapTokenResource, MapTokenWriteItem, TokenReadBody } from '../../src/services/map-token-types';
import { renderSchemaModules, TYPED_SCHEMAS } from '../../scripts/generate-schema-types';

const validator = new SchemaValidator({ maxBatch: 100 });

function propertiesOf(id: string): string[] {
  return Object.keys((validator.schemas[id] as { properties: object }).properties).sort();
}

describe('schemas/', () => {
  it('every file has an $id equal to its name, a title and a JSON Schema 2020-12 dialect, and compiles', () => {
    for (const [file, schema] of Object.entries(validator.schemas)) {
      expect(schema.$id).toBe(file);
      expect(typeof schema.title).toBe('string');
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(() => validator.compile(file)).not.toThrow();
    }
  });

  it('the TypeScript types are derived from a copy of schemas/ that equals the files', () => {
    // the copies FromSchema reads (src/generated/) are rendered from the files; npm run generate:schemas renews them
    for (const [path, text] of Object.entries(renderSchemaModules())) expect([path, readFileSync(path, 'utf8')]).toEqual([path, text]);
    const generated: Record<string, unknown> = {
      mapTokenSchema,
      mapTokenUsageSchema,
      mapTokenWriteSchema,
      refreshErrorSchema,
      tokenReadSchema,
    };
    expect(Object.keys(generated).sort()).toEqual(Object.keys(TYPED_SCHEMAS).sort());
    for (const [name, file] of Object.entries(TYPED_SCHEMAS)) expect(generated[name]).toEqual(validator.schemas[file]);
  });

  it('the derived types name the properties of the schemas and keep their rules by authType', () => {
    const write: Required<Extract<MapTokenWriteItem, { authType: 'enterprise' }>> = {
      ...{
        mapTokenID: 1,
        organization_ID: 1,
        authType: 'enterprise',
        authKey: 'u',
        authToken: 'p',
        authTimeout: 1,
        authURL: 'https://a.example/x',
        authReferer: 'r',
      },
      ...{ server: null, token: null, token_Expire_Date: null, lastRefreshError: null, usage: { lastReadAt: null, reads: 0 } },
    };
    const resource: MapTokenResource = {
      ...{ mapTokenID: 1, organization_ID: 1, authType: 'agol', authKey: '', authTimeout: 1, authURL: '', authReferer: null, server: null },
      ...{ token: '', token_Expire_Date: null, lastRefreshError: { at: '2026-01-01T00:00:00.000Z', kind: 'error', message: 'm' } },
      usage: { lastReadAt: '2026-01-01T00:00:00.000Z', reads: 2 },
    };
    const read: TokenReadBody = {
      mapTokenID: 1,
      token: '',
      token_Expire_Date: null,
      expires_in: null,
      expires: null,
      server: null,
      ssl: false,
    };
    expect(Object.keys(write).sort()).toEqual(propertiesOf('map-token-write.json'));
    expect(Object.keys(resource).sort()).toEqual(propertiesOf('map-token.json'));
    expect(Object.keys(read).sort()).toEqual(propertiesOf('token-read.json'));
    expect(() => validator.check('map-token-write.json', write, 'body')).not.toThrow();
    expect(() => validator.check('map-token.json', resource, 'body')).not.toThrow();

    // what the compiler refuses, the schema refuses too
    // @ts-expect-error a static item carries its token
    const noToken: MapTokenWriteItem = { organization_ID: 1, authType: 'static' };
    // @ts-expect-error an agol item names its token URL
    const noUrl: MapTokenWriteItem = { organization_ID: 1, authType: 'agol', authKey: 'k', authToken: 's' };
    // @ts-expect-error only enterprise items have a referer
    const agolReferer: MapTokenWriteItem = {
      organization_ID: 1,
      authType: 'agol',
      authKey: 'k',
      authToken: 's',
      authURL: 'https://a.example/x',
      authReferer: 'r',
    };
    for (const item of [noToken, noUrl, agolReferer]) expect(() => validator.check('map-token-write.json', item, 'body')).toThrow();
  });

  it('accepts the Atrius page example body, whose token fields are read-only for agol', () => {
    expect(() => validator.check('map-token-put-request.json', [ATRIUS_EXAMPLE_ITEM], 'body')).not.toThrow();
  });

  it('takes MAX_BATCH from configuration', () => {
    const small = new SchemaValidator({ maxBatch: 2 });
    const item = { organization_ID: 1, authType: 'static', token: 't' };
    expect(() => small.check('map-token-put-request.json', [item, item], 'body')).not.toThrow();
    expect(() => small.check('map-token-put-request.json', [item, item, item], 'body')).toThrow(/must NOT have more than 2 items/);
  });
});
