import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ArcgisClient } from '../../src/arcgis/arcgis-client';
import { AuthUrlAllowlist } from '../../src/arcgis/auth-url-allowlist';
import { oauthRequest } from '../../src/arcgis/token-protocols';
import type { AgolFields } from '../../src/auth-types/agol';
import type { AuthTypeModule, Stored, WriteContext } from '../../src/auth-types/auth-type-module';
import { type AuthTypeRegistry, authTypeOf, authTypes } from '../../src/auth-types/auth-types';
import { type CredentialedFields, credentialedType } from '../../src/auth-types/credentialed-type';
import type { EnterpriseFields } from '../../src/auth-types/enterprise';
import { SecretBox } from '../../src/crypto/secret-box';
import type { AuthType } from '../../src/domain';
import type { ErrorDetail } from '../../src/errors';
import { mapTokenSchema, mapTokenWriteSchema } from '../../src/generated/schemas';
import { useFakeArcgis } from '../support/use-fake-arcgis';

/**
 * An auth type is one module behind one interface, listed in a registry that the compiler checks against
 * the authType union; nothing outside the registry chooses on the authType value.
 */

const box = new SecretBox([Buffer.alloc(32, 9)]);
const NOW = Date.parse('2026-03-01T08:00:00.000Z');
const arcgis = useFakeArcgis({ credentials: { 'app-id': 'app-secret' } });
let client: ArcgisClient;

beforeAll(() => {
  client = new ArcgisClient({ timeoutMs: 5000, allowlist: AuthUrlAllowlist.parse(arcgis.url), now: () => NOW });
});
afterAll(() => client.close());

function context<F extends CredentialedFields>(same?: Stored<F>) {
  const problems: ErrorDetail[] = [];
  const ctx: WriteContext<F> = { index: 0, same, box, allowlist: AuthUrlAllowlist.parse(arcgis.url), now: NOW, problems };
  return ctx;
}

/**
 * A fourth auth type, written against the interface alone: an OAuth app whose tokens are bound to one
 * REST root and renewed at half their life. Its item type is `never` here because the schema does not
 * name it: the schema change that a real fourth type makes is what types its items.
 */
interface HalfLifeFields extends CredentialedFields {
  authType: 'half-life';
  authReferer?: null;
}
const oauthApp = credentialedType<HalfLifeFields>({
  authType: 'half-life',
  secretName: 'secret',
  authRefererOf: () => null,
  fields: (common) => ({ ...common, authType: 'half-life', authReferer: null }),
  request: (columns, secret) =>
    oauthRequest({ authURL: columns.authUrl, clientId: columns.authKey, clientSecret: secret, expirationMinutes: columns.authTimeout }),
});
const halfLife: AuthTypeModule<HalfLifeFields> = {
  ...oauthApp,
  server: () => 'https://maps.example.com/rest',
  renewAt: (token) => (token?.issuedAt == null || token.expiresAt === null ? 0 : (token.issuedAt + token.expiresAt) / 2),
};

describe('the registry', () => {
  test('has one module per authType of both map token schemas, each under its own name', () => {
    const names = Object.keys(authTypes).sort();
    expect([...mapTokenWriteSchema.properties.authType.enum].sort()).toEqual(names);
    expect([...mapTokenSchema.properties.authType.enum].sort()).toEqual(names);
    for (const [name, module] of Object.entries(authTypes)) expect(module.authType).toBe(name);
    for (const name of names) expect(authTypeOf({ authType: name as AuthType })).toBe(authTypes[name as AuthType]);
  });

  test('a registry without a module for every member of the union does not compile', () => {
    const { enterprise: _left, ...missing } = authTypes;
    // @ts-expect-error enterprise has no module
    const incomplete: AuthTypeRegistry = missing;
    // @ts-expect-error a module under another member's name
    const misnamed: AuthTypeRegistry = { ...authTypes, enterprise: authTypes.agol };
    // @ts-expect-error a fourth member of the union without its module
    const withoutFourth: AuthTypeRegistry<AuthType | 'half-life'> = authTypes;
    const withFourth: AuthTypeRegistry<AuthType | 'half-life'> = { ...authTypes, 'half-life': halfLife };
    expect([incomplete, misnamed, withoutFourth].every(Boolean)).toBe(true);
    expect(Object.keys(withFourth)).toContain('half-life');
  });

  test('nothing outside src/auth-types/ chooses on an authType value', () => {
    const root = join(__dirname, '../../src');
    const offenders = sourceFiles(root)
      .filter((file) => !/^(auth-types|generated)\//.test(relative(root, file)) && !/^http\/openapi/.test(relative(root, file)))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => /'(agol|enterprise|static)'|authType\s*[!=]==?\s*['"]/.test(line))
          .map((line) => `${relative(root, file)}: ${line.trim()}`),
      );
    expect(offenders).toEqual([]);
  });
});

describe('a fourth auth type through the registry, by its module alone', () => {
  const registry = { ...authTypes, 'half-life': halfLife } satisfies AuthTypeRegistry<AuthType | 'half-life'>;
  const item = { organization_ID: 1, authType: 'half-life', authKey: 'app-id', authToken: 'app-secret', authURL: '' };

  test('its write rules, its token request, its server and its lifetime are what the service runs', async () => {
    const module = registry['half-life'];
    const ctx = context<HalfLifeFields>();
    const draft = module.draft({ ...item, authURL: arcgis.tokenUrl } as never, ctx);
    expect(ctx.problems).toEqual([]);
    expect(draft?.fields).toMatchObject({ authType: 'half-life', authKey: 'app-id', authUrl: arcgis.tokenUrl, authReferer: null });
    expect(box.decrypt(draft?.fields.authSecretEnc ?? '')).toBe('app-secret');

    // the token is fetched over HTTP by the one ArcGIS client, which knows no auth type
    const fetched = await client.fetchToken(draft?.fetch ?? fail('no token request'));
    expect(fetched.accessToken).toMatch(/^fake-/);
    const stored = { ...(draft?.fields as HalfLifeFields), authReferer: null };
    const renewal = module.tokenRequest(stored, (sealed) => box.decrypt(sealed));
    expect(renewal?.body).toBe(draft?.fetch?.body);
    await expect(client.fetchToken(renewal ?? fail('no renewal request'))).resolves.toMatchObject({ expiresInSeconds: 7200 });

    expect(module.server(stored)).toBe('https://maps.example.com/rest');
    expect(module.renewAt({ issuedAt: 0, expiresAt: 7_200_000 })).toBe(3_600_000);
    expect(module.usable(NOW, NOW)).toBe(false);
  });

  test('the shared write rules apply to it: an authURL off the allowlist, a missing secret', () => {
    const ctx = context<HalfLifeFields>();
    const { authToken: _none, ...withoutSecret } = item;
    expect(registry['half-life'].draft({ ...withoutSecret, authURL: 'https://elsewhere.example.com/token' } as never, ctx)).toBeUndefined();
    expect(ctx.problems.map((p) => p.path)).toEqual(['/0/authURL', '/0/authToken']);
    expect(ctx.problems[1]?.message).toBe('is required when an item becomes half-life (there is no stored secret to keep)');
  });
});

describe('the modules of the three auth types', () => {
  test('agol and enterprise fetch with their own protocol from their stored credentials; static never', () => {
    const sealed = box.encrypt('pw');
    const common = { organizationId: 1, authKey: 'k', authSecretEnc: sealed, authTimeout: 30, authUrl: arcgis.tokenUrl, authReferer: null };
    const unseal = (s: string) => box.decrypt(s);
    expect(authTypes.agol.tokenRequest({ ...common, authType: 'agol' }, unseal)?.body).toBe(
      'client_id=k&client_secret=pw&grant_type=client_credentials&expiration=30&f=json',
    );
    const enterprise = { ...common, authType: 'enterprise' as const, authReferer: 'https://maps.example.com' };
    expect(authTypes.enterprise.tokenRequest(enterprise, unseal)?.body).toBe(
      'username=k&password=pw&client=referer&referer=https%3A%2F%2Fmaps.example.com&expiration=30&f=json',
    );
    const fixed = { ...common, authType: 'static' as const, authKey: null, authSecretEnc: null, authTimeout: null, authUrl: null };
    expect(authTypes.static.tokenRequest(fixed, unseal)).toBeNull();
    expect(authTypes.static.server(fixed)).toBeNull();
    expect(authTypes.static.server({ ...fixed, server: 'https://gis.example.com/arcgis/rest/services' })).toBe(
      'https://gis.example.com/arcgis/rest/services',
    );
    expect(authTypes.agol.server({ ...common, authType: 'agol' })).toBe(`${arcgis.url}/sharing/rest`);
    expect([authTypes.agol.renews, authTypes.enterprise.renews, authTypes.static.renews]).toEqual([true, true, false]);
  });

  test('a stored secret is kept only within its type and origin; unchanged credentials fetch nothing', () => {
    const first = authTypes.agol.draft(
      { organization_ID: 1, authType: 'agol', authKey: 'app-id', authToken: 'app-secret', authURL: arcgis.tokenUrl },
      context<AgolFields>(),
    );
    const same = { ...(first?.fields ?? fail('no draft')), authReferer: null };
    const again = authTypes.agol.draft(
      withoutSecret({ mapTokenID: 1, organization_ID: 1, authType: 'agol', authKey: 'app-id', authToken: '', authURL: arcgis.tokenUrl }),
      context(same),
    );
    expect(again).toEqual({ fields: same });
    const moved = context<AgolFields>(same);
    authTypes.agol.draft(
      withoutSecret({
        mapTokenID: 1,
        organization_ID: 1,
        authType: 'agol',
        authKey: 'app-id',
        authToken: '',
        authURL: 'http://127.0.0.2/token',
      }),
      moved,
    );
    expect(moved.problems.map((p) => p.message)).toContain(
      'is required when authURL moves to another origin (the stored secret is not sent elsewhere)',
    );
    const user = context<EnterpriseFields>();
    authTypes.enterprise.draft(
      withoutSecret({
        mapTokenID: 1,
        organization_ID: 1,
        authType: 'enterprise',
        authKey: 'u',
        authToken: '',
        authURL: arcgis.portalTokenUrl,
      }),
      user,
    );
    expect(user.problems[0]?.message).toBe('is required when an item becomes enterprise (there is no stored password to keep)');
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** An update that omits authToken (to keep the stored one): the schema admits it, its derived type does not say so. */
function withoutSecret<T extends { authToken?: string }>(item: T): T {
  const { authToken: _omitted, ...rest } = item;
  return rest as T;
}

function fail(message: string): never {
  throw new Error(message);
}
