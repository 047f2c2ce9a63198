import { serverOf } from '../../src/arcgis/server-of';
import { authTypes } from '../../src/auth-types/auth-types';
import { expiryOf, refreshMarginMs, refreshPointMs, renewAtOf, retryPauseMs, unexpired } from '../../src/token-timing';

const MINUTE = 60 * 1000;

describe('the refresh margin and the refresh point', () => {
  test.each([
    // lifetime, margin: min(5 minutes, 20% of the lifetime)
    [120 * MINUTE, 5 * MINUTE],
    [25 * MINUTE, 5 * MINUTE],
    [25 * MINUTE - 5, 5 * MINUTE - 1],
    [10 * MINUTE, 2 * MINUTE],
    [20 * 1000, 4000],
  ])('a token living %i ms has a margin of %i ms and is renewed 2 x margin before expiry', (lifetime, margin) => {
    const token = { issuedAt: 1000, expiresAt: 1000 + lifetime };
    expect(refreshMarginMs(token)).toBe(margin);
    expect(refreshPointMs(token)).toBe(1000 + lifetime - 2 * margin);
  });

  test('a static token is never due; an ArcGIS item without a token is due at once; a dated one at its refresh point', () => {
    const token = { issuedAt: 0, expiresAt: 120 * MINUTE };
    expect(authTypes.static.renewAt(token)).toBeNull();
    expect(authTypes.static.renewAt(null)).toBeNull();
    expect(renewAtOf(null)).toBe(0);
    expect(renewAtOf(token)).toBe(110 * MINUTE);
    expect(authTypes.agol.renewAt(token)).toBe(110 * MINUTE);
    expect(authTypes.agol.renewAt(null)).toBe(0);
    expect(authTypes.enterprise.renewAt(token)).toBe(110 * MINUTE);
    expect(authTypes.enterprise.renewAt(null)).toBe(0);
    expect(refreshPointMs({ issuedAt: 0, expiresAt: null })).toBeNull();
  });

  test('no margin without both dates, or for a token that expired before it was issued', () => {
    expect(refreshMarginMs({ issuedAt: null, expiresAt: 10 * MINUTE })).toBe(0);
    expect(refreshMarginMs({ issuedAt: 0, expiresAt: null })).toBe(0);
    expect(refreshMarginMs({ issuedAt: 10 * MINUTE, expiresAt: 0 })).toBe(0);
    expect(refreshPointMs({ issuedAt: null, expiresAt: 10 * MINUTE })).toBe(10 * MINUTE);
    expect(renewAtOf({ issuedAt: null, expiresAt: null })).toBe(0);
  });

  test('a fetched token is usable until the millisecond it expires; a static one while it is there', () => {
    expect(unexpired(1000, 999)).toBe(true);
    expect(unexpired(1000, 1000)).toBe(false);
    expect(unexpired(null, 0)).toBe(false);
    expect(authTypes.agol.usable(1000, 1000)).toBe(false);
    expect(authTypes.enterprise.usable(1000, 999)).toBe(true);
    expect(authTypes.static.usable(1000, 5000)).toBe(true);
    expect(authTypes.static.usable(null, 5000)).toBe(true);
  });
});

describe('the pause after failed renewals', () => {
  test.each([
    [1, 1000, 2000],
    [2, 2000, 4000],
    [3, 4000, 8000],
    [8, 128_000, 256_000],
    [9, 150_000, 300_000],
    [50, 150_000, 300_000],
  ])('after %i failures in a row it is between %i and %i ms', (failures, low, high) => {
    expect(retryPauseMs(failures, 0)).toBe(low);
    expect(retryPauseMs(failures, 0.999999)).toBeLessThanOrEqual(high);
    expect(retryPauseMs(failures, 0.999999)).toBeGreaterThan(high - 2);
    expect(retryPauseMs(failures, 0.5)).toBe((low + high) / 2);
  });

  test('a count below one is taken as the first failure', () => {
    expect(retryPauseMs(0, 0)).toBe(1000);
    expect(retryPauseMs(-3, 0)).toBe(1000);
  });

  test('grows with every failure until it reaches 5 minutes, and never exceeds it', () => {
    let previousHigh = 0;
    for (let failures = 1; failures <= 40; failures += 1) {
      const low = retryPauseMs(failures, 0);
      const high = retryPauseMs(failures, 0.999999);
      expect(low).toBeGreaterThanOrEqual(previousHigh / 2);
      expect(high).toBeLessThanOrEqual(5 * MINUTE);
      previousHigh = high;
    }
  });
});

describe("registerToken's server, from authURL", () => {
  test.each([
    ['https://www.arcgis.com/sharing/rest/oauth2/token/', 'https://www.arcgis.com/sharing/rest'],
    ['https://myorg.maps.arcgis.com/sharing/rest/oauth2/token', 'https://myorg.maps.arcgis.com/sharing/rest'],
    ['https://gis.example.com/portal/sharing/rest/generateToken', 'https://gis.example.com/portal/sharing/rest'],
    ['https://gis.example.com/arcgis/tokens/generateToken', 'https://gis.example.com/arcgis/rest/services'],
    ['https://gis.example.com:6443/server/tokens/generateToken/', 'https://gis.example.com:6443/server/rest/services'],
    ['https://gis.example.com/arcgis/tokens/', 'https://gis.example.com/arcgis/rest/services'],
    ['http://127.0.0.1:4567/somewhere/else', 'http://127.0.0.1:4567'],
    ['https://gis.example.com/arcgis/tokens/other', 'https://gis.example.com'],
  ])('%s -> %s', (authUrl, server) => {
    expect(serverOf(authUrl)).toBe(server);
  });

  test('is null without an authURL (static tokens) or for text that is not a URL', () => {
    expect(serverOf(null)).toBeNull();
    expect(serverOf('not a url')).toBeNull();
  });
});

describe('the expiry of a token ArcGIS granted', () => {
  test('is a whole millisecond, rounded down, even when ArcGIS sends a fraction of a second', () => {
    expect(expiryOf(1000, 7200)).toBe(7_201_000);
    expect(expiryOf(1000, 90.2504)).toBe(91_250);
    expect(Number.isInteger(expiryOf(1000, 7199.9999))).toBe(true);
  });
});
