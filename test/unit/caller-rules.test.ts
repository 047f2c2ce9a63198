import { CallerRulesError, callerRules, fromAllowedOrigin } from '../../src/services/caller-rules';
import { ReadLimiter } from '../../src/services/read-limiter';
import { FakeClock } from '../support/fake-clock';

/** The rules of a bound or limited key: what an origin is, how a request's origin is found, the token bucket. */

describe('callerRules', () => {
  it.each([
    ['https://maps.example.com', 'https://maps.example.com'],
    ['HTTPS://Maps.Example.COM', 'https://maps.example.com'],
    ['https://maps.example.com:443', 'https://maps.example.com'],
    ['http://maps.example.com:80', 'http://maps.example.com'],
    ['https://maps.example.com:8443', 'https://maps.example.com:8443'],
    ['http://localhost:8080', 'http://localhost:8080'],
    ['http://127.0.0.1:3000', 'http://127.0.0.1:3000'],
    ['http://[::1]:8080', 'http://[::1]:8080'],
    ['https://bücher.example', 'https://xn--bcher-kva.example'],
  ])('keeps %s as browsers send it: %s', (given, kept) => {
    expect(callerRules([given], undefined).allowedOrigins).toEqual([kept]);
  });

  it.each([
    'https://maps.example.com/',
    'https://maps.example.com/floors',
    'https://maps.example.com?x=1',
    'https://maps.example.com#top',
    'https://user:pass@maps.example.com',
    'maps.example.com',
    'ftp://maps.example.com',
    'https://',
    'https://maps.example.com:99999',
    'https://maps example.com',
    'null',
    '',
  ])('refuses %j as an origin, naming the field', (given) => {
    expect(() => callerRules([given], undefined)).toThrow(CallerRulesError);
    try {
      callerRules([given], undefined);
    } catch (error) {
      expect((error as CallerRulesError).field).toBe('allowedOrigins');
    }
  });

  it('takes 50 origins of 2048 characters, and refuses a 51st or a 2049th character', () => {
    const origin = (i: number, length = 2048) => `https://${`o${i}-`.padEnd(length - 20, 'x')}.example.com`;
    const fifty = Array.from({ length: 50 }, (_, i) => origin(i));
    expect(fifty.every((o) => o.length === 2048)).toBe(true);
    expect(callerRules(fifty, undefined).allowedOrigins).toHaveLength(50);
    expect(() => callerRules([...fifty, origin(50)], undefined)).toThrow('at most 50 origins');
    expect(() => callerRules([origin(0, 2049)], undefined)).toThrow('at most 2048 characters');
  });

  it('keeps one of each origin, and no origin means none', () => {
    expect(callerRules(['https://a.example', 'HTTPS://A.EXAMPLE', 'https://a.example:443'], undefined).allowedOrigins).toEqual([
      'https://a.example',
    ]);
    expect(callerRules([], undefined)).toEqual({ allowedOrigins: null, rateLimit: null });
  });

  it.each([
    ['1', 1],
    ['1000000', 1_000_000],
    [60, 60],
  ])('takes the limit %j', (given, limit) => {
    expect(callerRules([], given).rateLimit).toBe(limit);
  });

  it.each(['0', '1000001', '-1', '1.5', '1e3', ' 5', 'ten', '', 0, 1.5, 1_000_001])('refuses the limit %j, naming the field', (given) => {
    try {
      callerRules([], given);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(CallerRulesError);
      expect((error as CallerRulesError).field).toBe('rateLimit');
    }
  });
});

describe('fromAllowedOrigin', () => {
  const allowed = ['https://maps.example.com', 'http://localhost:8080'];
  it.each([
    [{ origin: 'https://maps.example.com' }, true],
    [{ origin: 'http://localhost:8080' }, true],
    [{ origin: 'https://maps.example.com.evil.net' }, false],
    [{ origin: 'https://MAPS.example.com' }, false],
    [{ origin: 'null' }, false],
    [{ origin: 'https://evil.net', referer: 'https://maps.example.com/' }, false],
    [{ referer: 'https://maps.example.com/floors/2?x=1#y' }, true],
    [{ referer: 'https://maps.example.com:443/' }, true],
    [{ referer: 'https://evil.net/https://maps.example.com' }, false],
    [{ referer: 'not a url' }, false],
    [{}, false],
  ])('%j: %s', (headers, accepted) => {
    expect(fromAllowedOrigin(allowed, headers)).toBe(accepted);
  });
});

describe('ReadLimiter', () => {
  it('grants a burst of the limit, then one read each 60/limit seconds, answering the whole seconds to wait', () => {
    const clock = new FakeClock();
    const limiter = new ReadLimiter(clock, 100);
    for (let i = 0; i < 4; i++) expect(limiter.take('a', 4)).toBe(0);
    expect(limiter.take('a', 4)).toBe(15);
    clock.advance(14_001);
    expect(limiter.take('a', 4)).toBe(1);
    clock.advance(998);
    expect(limiter.take('a', 4)).toBe(1);
    clock.advance(1);
    expect(limiter.take('a', 4)).toBe(0);
    expect(limiter.take('a', 4)).toBe(15);
    // an idle hour refills the burst and no more
    clock.advance(3_600_000);
    for (let i = 0; i < 4; i++) expect(limiter.take('a', 4)).toBe(0);
    expect(limiter.take('a', 4)).toBe(15);
  });

  it('keeps one bucket per caller, and a limit of a million a minute still refuses the million and first', () => {
    const clock = new FakeClock();
    const limiter = new ReadLimiter(clock, 100);
    expect(limiter.take('a', 1)).toBe(0);
    expect(limiter.take('a', 1)).toBe(60);
    expect(limiter.take('b', 1)).toBe(0);
    for (let i = 0; i < 1_000_000; i++) if (limiter.take('c', 1_000_000) !== 0) throw new Error(`refused read ${i + 1}`);
    expect(limiter.take('c', 1_000_000)).toBe(1);
  });
});
