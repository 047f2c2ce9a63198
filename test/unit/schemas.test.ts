import { SchemaValidator } from '../../src/http/schema-validator';
import { ATRIUS_EXAMPLE_ITEM } from '../support/atrius-example';
import { MapTokenResource, MapTokenWriteItem, TokenReadBody } from '../../src/services/map-token-types';

const validator = new SchemaValidator({ maxBatch: 100 });

/** The TypeScript views must name exactly the schema's properties: the schema is the one truth. */
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

  it('the TypeScript types name the same properties as the schemas', () => {
    const write: Required<MapTokenWriteItem> = {
      ...{ mapTokenID: 1, organization_ID: 1, authType: 'agol', authKey: '', authToken: '', authTimeout: 1, authURL: '', authReferer: '' },
      ...{ token: '', token_Expire_Date: '', lastRefreshError: null },
    };
    const resource: MapTokenResource = {
      ...{ mapTokenID: 1, organization_ID: 1, authType: 'agol', authKey: '', authTimeout: 1, authURL: '', authReferer: null },
      ...{ token: '', token_Expire_Date: '', lastRefreshError: null },
    };
    const read: TokenReadBody = { mapTokenID: 1, token: '', token_Expire_Date: null, expires_in: null, expires: null, server: null, ssl: false };
    expect(Object.keys(write).sort()).toEqual(propertiesOf('map-token-write.json'));
    expect(Object.keys(resource).sort()).toEqual(propertiesOf('map-token.json'));
    expect(Object.keys(read).sort()).toEqual(propertiesOf('token-read.json'));
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
