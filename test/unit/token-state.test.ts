import { SecretBox } from '../../src/crypto/secret-box';
import { toIsoOrNull, toTokenState, type TokenState, usable } from '../../src/services/token-state';
import type { MapTokenRow } from '../../src/stores/store';

/** What the broker caches per map token, and when that token may be handed out. */

const box = new SecretBox([Buffer.alloc(32, 5)]);
const NOW = Date.parse('2026-01-15T10:00:00.000Z');

function row(overrides: Partial<MapTokenRow> = {}): MapTokenRow {
  return {
    id: 4,
    environment: 'env1',
    organizationId: 3,
    authType: 'agol',
    authKey: 'app',
    authSecretEnc: box.encrypt('sekret'),
    authTimeout: null,
    authUrl: 'https://www.arcgis.com/sharing/rest/oauth2/token/',
    authReferer: null,
    server: null,
    token: { tokenEnc: box.encrypt('sealed-token'), issuedAt: NOW - 1000, expiresAt: NOW + 60_000 },
    version: 2,
    createdAt: NOW - 5000,
    updatedAt: NOW - 5000,
    renewAt: NOW + 30_000,
    refreshFailures: 0,
    lastRefreshError: null,
    forcedRenewalAt: null,
    ...overrides,
  } as MapTokenRow;
}

describe('toTokenState', () => {
  test('a row read for the first time: its token decrypted, its fields copied, checked now', () => {
    const stored = row({ lastRefreshError: { at: NOW - 1, kind: 'error', message: 'm' } });
    expect(toTokenState(stored, undefined, box, NOW)).toEqual({
      id: 4,
      environment: 'env1',
      organizationId: 3,
      authType: 'agol',
      version: 2,
      tokenEnc: stored.token!.tokenEnc,
      token: 'sealed-token',
      issuedAt: NOW - 1000,
      expiresAt: NOW + 60_000,
      expiresAtIso: '2026-01-15T10:01:00.000Z',
      server: 'https://www.arcgis.com/sharing/rest',
      ssl: true,
      checkedAt: NOW,
      renewAt: NOW + 30_000,
      lastRefreshError: { at: NOW - 1, kind: 'error', message: 'm' },
      missingKeyId: null,
      row: stored,
    });
  });

  test('a static row answers its own server, and ssl when that server is https', () => {
    const server = 'https://gis.example.com/arcgis/rest/services';
    const fields = { authType: 'static', authKey: null, authSecretEnc: null, authUrl: null } as const;
    expect(toTokenState(row({ ...fields, server }), undefined, box, NOW)).toMatchObject({ server, ssl: true });
    expect(toTokenState(row({ ...fields, server: null }), undefined, box, NOW)).toMatchObject({ server: null, ssl: false });
  });

  test('a token sealed with a key this instance lacks: no token, the key id kept (also for the next read of the same row); a corrupt value still throws', () => {
    const elsewhere = new SecretBox([Buffer.alloc(32, 6)]);
    const sealed = elsewhere.encrypt('sealed-elsewhere');
    const stored = row({ token: { tokenEnc: sealed, issuedAt: NOW - 1000, expiresAt: NOW + 60_000 } });
    const state = toTokenState(stored, undefined, box, NOW);
    expect(state).toMatchObject({ token: null, missingKeyId: elsewhere.keyIds[0], tokenEnc: sealed });
    expect(usable(state, NOW)).toBe(false);
    expect(toTokenState(stored, state, box, NOW + 1)).toMatchObject({ token: null, missingKeyId: elsewhere.keyIds[0] });
    // a plaintext at hand wins (a write just made) and clears it
    expect(toTokenState(stored, state, box, NOW, 'fresh')).toMatchObject({ token: 'fresh', missingKeyId: null });
    const parts = box.encrypt('x').split('.');
    parts[3] = Buffer.alloc(16).toString('base64url');
    const corrupt = row({ token: { tokenEnc: parts.join('.'), issuedAt: NOW - 1000, expiresAt: NOW + 60_000 } });
    expect(() => toTokenState(corrupt, undefined, box, NOW)).toThrow(/no ENCRYPTION_KEY decrypts this value/);
  });

  test('a row without a token or authURL', () => {
    const state = toTokenState(row({ token: null, authUrl: null, authType: 'static' }), undefined, box, NOW);
    expect(state).toMatchObject({
      tokenEnc: null,
      token: null,
      issuedAt: null,
      expiresAt: null,
      expiresAtIso: null,
      server: null,
      ssl: false,
    });
  });

  test('an http authURL is not ssl', () => {
    expect(toTokenState(row({ authUrl: 'http://127.0.0.1:4567/sharing/rest/oauth2/token/' }), undefined, box, NOW).ssl).toBe(false);
  });

  test('the same sealed token as before keeps the previous plaintext and expiry text', () => {
    const stored = row();
    const previous: TokenState = {
      ...toTokenState(stored, undefined, box, NOW - 10),
      token: 'kept',
      expiresAtIso: 'kept-iso',
    };
    const state = toTokenState({ ...stored, version: 3 }, previous, box, NOW);
    expect(state).toMatchObject({ token: 'kept', expiresAtIso: 'kept-iso', version: 3, checkedAt: NOW });
  });

  test('the same sealed token with another expiry gets its expiry text again', () => {
    const stored = row();
    const previous: TokenState = { ...toTokenState(stored, undefined, box, NOW), expiresAtIso: 'kept-iso' };
    const later = { ...stored, token: { ...stored.token!, expiresAt: NOW + 120_000 } };
    expect(toTokenState(later, previous, box, NOW).expiresAtIso).toBe('2026-01-15T10:02:00.000Z');
  });

  test('another sealed token is decrypted', () => {
    const previous: TokenState = { ...toTokenState(row(), undefined, box, NOW), token: 'kept', expiresAtIso: 'kept-iso' };
    const state = toTokenState(
      row({ token: { tokenEnc: box.encrypt('next'), issuedAt: NOW, expiresAt: NOW + 60_000 } }),
      previous,
      box,
      NOW,
    );
    expect(state).toMatchObject({ token: 'next', expiresAtIso: '2026-01-15T10:01:00.000Z' });
  });

  test('a plaintext at hand wins over the previous state', () => {
    const stored = row();
    const previous: TokenState = { ...toTokenState(stored, undefined, box, NOW), token: 'kept', expiresAtIso: 'kept-iso' };
    expect(toTokenState(stored, previous, box, NOW, 'given')).toMatchObject({
      token: 'given',
      expiresAtIso: '2026-01-15T10:01:00.000Z',
    });
    expect(toTokenState(row({ token: null }), undefined, box, NOW, null).token).toBeNull();
  });

  test('toIsoOrNull', () => {
    expect(toIsoOrNull(null)).toBeNull();
    expect(toIsoOrNull(0)).toBe('1970-01-01T00:00:00.000Z');
  });
});

describe('usable', () => {
  const state = toTokenState(row(), undefined, box, NOW);

  test('an ArcGIS token until the millisecond before it expires, not at its expiry', () => {
    expect(usable(state, NOW + 59_999)).toBe(true);
    expect(usable(state, NOW + 60_000)).toBe(false);
  });

  test('never without a token, or for an ArcGIS token without an expiry', () => {
    expect(usable({ ...state, token: null }, NOW)).toBe(false);
    expect(usable({ ...state, expiresAt: null }, NOW)).toBe(false);
  });

  test('a static token always, even past a date it was given', () => {
    const fixed = { ...state, authType: 'static' as const, expiresAt: NOW - 1 };
    expect(usable(fixed, NOW)).toBe(true);
    expect(usable({ ...fixed, token: null }, NOW)).toBe(false);
  });
});
