import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ArcgisClient } from '../../src/arcgis/arcgis-client';
import { AuthUrlAllowlist } from '../../src/arcgis/auth-url-allowlist';
import { oauthRequest } from '../../src/arcgis/token-protocols';
import type { AgolFields } from '../../src/auth-types/agol';
import type { AuthTypeModule, CommonFields, Stored, WriteContext } from '../../src/auth-types/auth-type-module';
import { type AuthTypeRegistry, authTypeOf, authTypes, unrenewedAuthTypes } from '../../src/auth-types/auth-types';
import { type CredentialedFields, credentialedType } from '../../src/auth-types/credentialed-type';
import type { EnterpriseFields } from '../../src/auth-types/enterprise';
import type { StaticFields } from '../../src/auth-types/static-token';
import { SecretBox } from '../../src/crypto/secret-box';
import type { AuthType } from '../../src/domain';
import { EncryptionKeyMissingError, type ErrorDetail } from '../../src/errors';
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

function context<F extends CommonFields>(same?: Stored<F>, options: { index?: number; allowlist?: AuthUrlAllowlist } = {}) {
  const problems: ErrorDetail[] = [];
  const allowlist = options.allowlist ?? AuthUrlAllowlist.parse(arcgis.url);
  const ctx: WriteContext<F> = { index: options.index ?? 0, same, box, allowlist, now: NOW, problems };
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

  test('the types whose tokens are never renewed, and so can only expire, are the static type alone', () => {
    expect(unrenewedAuthTypes).toEqual(['static']);
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

describe('the write rules of an item with credentials', () => {
  const ONLINE = 'https://www.arcgis.com/sharing/rest/oauth2/token';
  const PORTAL = 'https://gis.example.com/portal/sharing/rest/generateToken';
  const allowlist = AuthUrlAllowlist.parse('https://www.arcgis.com, https://gis.example.com');
  const app = { organization_ID: 1, authType: 'agol', authKey: 'app-id', authURL: ONLINE } as const;
  const storedApp = (sealed = box.encrypt('app-secret')): Stored<AgolFields> => ({
    organizationId: 1,
    authType: 'agol',
    authKey: 'app-id',
    authSecretEnc: sealed,
    authTimeout: null,
    authUrl: ONLINE,
    authReferer: null,
  });
  const user = {
    mapTokenID: 7,
    organization_ID: 1,
    authType: 'enterprise',
    authKey: 'gis-user',
    authToken: 'pw',
    authURL: PORTAL,
    authReferer: 'https://maps.example.com',
    authTimeout: 60,
  } as const;
  const storedUser: Stored<EnterpriseFields> = {
    organizationId: 1,
    authType: 'enterprise',
    authKey: 'gis-user',
    authSecretEnc: box.encrypt('pw'),
    authTimeout: 60,
    authUrl: PORTAL,
    authReferer: 'https://maps.example.com',
  };

  test('an authURL off the allowlist is refused at its item, naming the allowlist', () => {
    const ctx = context<AgolFields>(undefined, { index: 2, allowlist });
    authTypes.agol.draft({ ...app, authToken: 'app-secret', authURL: 'https://elsewhere.example.com/sharing/rest/oauth2/token' }, ctx);
    expect(ctx.problems).toEqual([
      {
        path: '/2/authURL',
        message: 'is not allowed: it must start with one of AUTH_URL_ALLOWLIST (https://www.arcgis.com, https://gis.example.com)',
      },
    ]);
  });

  test('a new item is stored with its credentials sealed, an omitted authTimeout as null, and a token to fetch', () => {
    const ctx = context<AgolFields>(undefined, { allowlist });
    const draft = authTypes.agol.draft({ ...app, authToken: 'app-secret' }, ctx) ?? fail('no draft');
    expect(ctx.problems).toEqual([]);
    expect(draft.fields).toEqual({
      organizationId: 1,
      authType: 'agol',
      authKey: 'app-id',
      authSecretEnc: expect.any(String),
      authTimeout: null,
      authUrl: ONLINE,
      authReferer: null,
    });
    expect(box.decrypt(draft.fields.authSecretEnc)).toBe('app-secret');
    expect(draft.fetch).toMatchObject({
      authURL: ONLINE,
      body: 'client_id=app-id&client_secret=app-secret&grant_type=client_credentials&f=json',
    });
  });

  test('the stored secret moving to another origin needs the item to send it, at its own index', () => {
    const agol = context<AgolFields>(storedApp(), { index: 1, allowlist });
    authTypes.agol.draft(
      withoutSecret({ ...app, mapTokenID: 7, authToken: '', authURL: 'https://gis.example.com/portal/sharing/rest/oauth2/token' }),
      agol,
    );
    expect(agol.problems).toEqual([
      { path: '/1/authToken', message: 'is required when authURL moves to another origin (the stored secret is not sent elsewhere)' },
    ]);
    const enterprise = context<EnterpriseFields>(storedUser, { index: 3, allowlist });
    authTypes.enterprise.draft(withoutSecret({ ...user, authURL: 'https://www.arcgis.com/sharing/rest/generateToken' }), enterprise);
    expect(enterprise.problems).toEqual([
      { path: '/3/authToken', message: 'is required when authURL moves to another origin (the stored password is not sent elsewhere)' },
    ]);
  });

  test('a secret sent with the item goes to another origin, and a token is fetched there with it', () => {
    const ctx = context<AgolFields>(storedApp(), { allowlist });
    const moved = 'https://gis.example.com/portal/sharing/rest/oauth2/token';
    const draft = authTypes.agol.draft({ ...app, mapTokenID: 7, authToken: 'new-secret', authURL: moved }, ctx);
    expect(ctx.problems).toEqual([]);
    expect(draft?.fetch).toMatchObject({ authURL: moved, body: expect.stringContaining('client_secret=new-secret') });
    expect(box.decrypt(draft?.fields.authSecretEnc ?? '')).toBe('new-secret');
  });

  test('the stored secret is kept for another path of the same origin, and a token is fetched there with it', () => {
    const ctx = context<EnterpriseFields>(storedUser, { allowlist });
    const server = 'https://gis.example.com/arcgis/tokens/generateToken';
    const draft = authTypes.enterprise.draft(withoutSecret({ ...user, authURL: server }), ctx);
    expect(ctx.problems).toEqual([]);
    expect(draft?.fields).toMatchObject({ authUrl: server, authReferer: 'https://maps.example.com' });
    expect(box.decrypt(draft?.fields.authSecretEnc ?? '')).toBe('pw');
    expect(draft?.fetch).toMatchObject({ authURL: server, body: expect.stringContaining('username=gis-user&password=pw&') });
  });

  test('credentials sent again as stored, the secret included, keep the sealed secret and fetch nothing', () => {
    for (const item of [user, withoutSecret(user)]) {
      const ctx = context<EnterpriseFields>(storedUser, { allowlist });
      expect(authTypes.enterprise.draft({ ...item, organization_ID: 2 }, ctx)).toEqual({ fields: { ...storedUser, organizationId: 2 } });
      expect(ctx.problems).toEqual([]);
    }
  });

  test.each([
    ['the user name', { authKey: 'other-user' }, 'username=other-user&'],
    ['the authURL within its origin', { authURL: 'https://gis.example.com/arcgis/tokens/generateToken' }, 'password=pw&'],
    ['the requested lifetime', { authTimeout: 30 }, '&expiration=30&'],
    ['the requested lifetime to none', { authTimeout: null }, 'client=referer&referer=https%3A%2F%2Fmaps.example.com&f=json'],
    ['the referer', { authReferer: 'https://floors.example.com' }, 'referer=https%3A%2F%2Ffloors.example.com&'],
    ['the referer to none', { authReferer: null }, 'client=requestip&'],
    ['the password', { authToken: 'new-pw' }, 'password=new-pw&'],
  ])('changing %s fetches a token with the new credentials', (_change, change, sent) => {
    const ctx = context<EnterpriseFields>(storedUser, { allowlist });
    const draft = authTypes.enterprise.draft({ ...user, ...change }, ctx);
    expect(ctx.problems).toEqual([]);
    expect(draft?.fetch?.body).toContain(sent);
    expect(draft?.fields.authSecretEnc).not.toBe(storedUser.authSecretEnc);
  });

  test('a stored secret this instance cannot open (sealed with a key it lacks, or damaged) is replaced by a secret sent', () => {
    const elsewhere = new SecretBox([Buffer.alloc(32, 7)]).encrypt('old-secret');
    const [version, id, iv, tag, ciphertext] = box.encrypt('old-secret').split('.');
    const damaged = [version, id, iv, tag, `${ciphertext}A`].join('.');
    for (const sealed of [elsewhere, damaged]) {
      const ctx = context<AgolFields>(storedApp(sealed), { allowlist });
      const draft = authTypes.agol.draft({ ...app, mapTokenID: 7, authToken: 'app-secret' }, ctx);
      expect(ctx.problems).toEqual([]);
      expect(box.decrypt(draft?.fields.authSecretEnc ?? '')).toBe('app-secret');
      expect(draft?.fetch?.body).toContain('client_secret=app-secret&');
    }
  });

  test('an item that keeps a stored secret this instance cannot open is not written: the missing key is named', () => {
    const other = new SecretBox([Buffer.alloc(32, 7)]);
    const ctx = context<AgolFields>(storedApp(other.encrypt('old-secret')), { allowlist });
    const keep = () => authTypes.agol.draft(withoutSecret({ ...app, mapTokenID: 7, authToken: '' }), ctx);
    expect(keep).toThrow(EncryptionKeyMissingError);
    expect(keep).toThrow(`sealed with ENCRYPTION_KEY id ${other.keyIds[0]}, which this instance does not hold`);
    expect(ctx.problems).toEqual([]);
  });
});

describe('the write rules of a static item', () => {
  const SERVER = 'https://gis.example.com/arcgis/rest/services';
  const item = { organization_ID: 4, authType: 'static', token: 'static-token' } as const;

  test('its token is stored as given, with its expiry and server, and without credentials; nothing is fetched', () => {
    const ctx = context<StaticFields>();
    const expires = '2026-03-02T08:00:00.000Z';
    expect(authTypes.static.draft({ ...item, token_Expire_Date: expires, server: SERVER }, ctx)).toEqual({
      fields: {
        organizationId: 4,
        authType: 'static',
        authKey: null,
        authSecretEnc: null,
        authTimeout: null,
        authUrl: null,
        authReferer: null,
        server: SERVER,
      },
      token: { plaintext: 'static-token', expiresAt: Date.parse(expires) },
    });
    expect(ctx.problems).toEqual([]);
  });

  test('without an expiry or a server it never expires and names no server', () => {
    for (const absent of [{}, { token_Expire_Date: null, server: null }]) {
      const ctx = context<StaticFields>();
      const draft = authTypes.static.draft({ ...item, ...absent }, ctx);
      expect(draft?.token).toEqual({ plaintext: 'static-token', expiresAt: null });
      expect(draft?.fields.server).toBeNull();
      expect(ctx.problems).toEqual([]);
    }
  });

  test('an expiry that is not after now is in the past, at its item', () => {
    for (const past of [new Date(NOW).toISOString(), '2020-01-01T00:00:00.000Z']) {
      const ctx = context<StaticFields>(undefined, { index: 3 });
      authTypes.static.draft({ ...item, token_Expire_Date: past }, ctx);
      expect(ctx.problems).toEqual([{ path: '/3/token_Expire_Date', message: 'is in the past' }]);
    }
    const ctx = context<StaticFields>();
    authTypes.static.draft({ ...item, token_Expire_Date: new Date(NOW + 1).toISOString() }, ctx);
    expect(ctx.problems).toEqual([]);
  });

  test('an expiry the schema admits but no date holds (a leap second) is refused at its item', () => {
    const ctx = context<StaticFields>(undefined, { index: 1 });
    authTypes.static.draft({ ...item, token_Expire_Date: '2030-06-30T23:59:60Z' }, ctx);
    expect(ctx.problems).toEqual([{ path: '/1/token_Expire_Date', message: 'is not a date this service can store' }]);
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
