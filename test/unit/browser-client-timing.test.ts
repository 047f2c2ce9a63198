import { createConnection } from '../../client/src/connection';
import { MapTokenError } from '../../client/src/map-token-client';
import { MAX_TIMER_DELAY_MS, refreshDelay, retryPause } from '../../client/src/renewal-timing';
import { FakePageRuntime, settle, tokenAnswer } from '../support/fake-page-runtime';

const MINUTE = 60_000;
const YEAR = 365 * 24 * 60 * MINUTE;
const options = { service: 'https://tokens.example.com/', mapTokenID: 7, environment: 'prod', key: 'mtp_reader' };

describe('when the next fetch is due', () => {
  it('is at expiry minus min(5 minutes, 20% of the time left), minus 0-10% of that margin', () => {
    // 2 hours left: the margin is 5 minutes
    expect(refreshDelay(120 * MINUTE, 0)).toBe(115 * MINUTE);
    expect(refreshDelay(120 * MINUTE, 0.999999)).toBe(Math.round(115 * MINUTE - 0.0999999 * 5 * MINUTE));
    // 10 seconds left: the margin is 2 s, the jitter up to 0.2 s
    expect(refreshDelay(10_000, 0)).toBe(8_000);
    expect(refreshDelay(10_000, 0.5)).toBe(7_900);
    expect(refreshDelay(10_000, 0.999999)).toBe(7_800);
    // the boundary: 25 minutes left is where 20% reaches 5 minutes
    expect(refreshDelay(25 * MINUTE, 0)).toBe(20 * MINUTE);
    expect(refreshDelay(30 * MINUTE, 0)).toBe(25 * MINUTE);
  });

  it('is never sooner than 1 s (a token that arrives expired is not fetched in a loop), and never for a token without expiry', () => {
    expect(refreshDelay(0, 0.9)).toBe(1_000);
    expect(refreshDelay(1_200, 0)).toBe(1_000);
    expect(refreshDelay(null, 0.3)).toBeNull();
  });

  it('after failures, pauses a jittered 1 s doubling up to 60 s, and at least Retry-After', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => retryPause(n, null, 0.999999))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
    expect([1, 2, 3, 7].map((n) => retryPause(n, null, 0))).toEqual([1_000, 1_000, 2_000, 30_000]);
    expect(retryPause(1, 7_000, 0.5)).toBe(7_000);
    expect(retryPause(7, 7_000, 0)).toBe(30_000);
    expect(retryPause(2, 0, 0.5)).toBe(1_500);
  });
});

describe('a connection', () => {
  let page: FakePageRuntime;
  beforeEach(() => {
    page = new FakePageRuntime();
  });

  it('reads the token with the key, keeps exactly one timer, and fetches again before each expiry', async () => {
    page.answers.push({ body: tokenAnswer(page.now(), 'one', 10) });
    const conn = createConnection(options, page);
    const seen: string[] = [];
    conn.onChange((answer) => seen.push(answer.token));
    expect((await conn.ready).token).toBe('one');
    expect(page.calls[0]).toEqual({
      url: 'https://tokens.example.com/api/v1/map-tokens/7/token',
      method: 'GET',
      headers: { 'atr-environment-id': 'prod', 'atr-subscription-key': 'mtp_reader' },
      body: undefined,
    });
    expect(page.pendingDelay()).toBe(7_900);

    page.answers.push({ body: tokenAnswer(page.now() + 7_900, 'two', 10) });
    await page.advance(7_899);
    expect(page.calls).toHaveLength(1);
    await page.advance(1);
    expect(page.calls).toHaveLength(2);
    expect(conn.current?.token).toBe('two');
    expect(seen).toEqual(['one', 'two']);
    expect(page.pendingDelay()).toBe(7_900);
    conn.stop();
  });

  it('waits out a one-year static token in steps no browser wraps, and fetches once, near its end', async () => {
    page.answers.push({ body: tokenAnswer(page.now(), 'yearly', YEAR / 1000, null) });
    const conn = createConnection(options, page);
    await conn.ready;
    expect(page.delays).toEqual([MAX_TIMER_DELAY_MS]);
    page.answers.push({ body: tokenAnswer(page.now() + YEAR, 'next year', YEAR / 1000, null) });
    await page.advance(YEAR - 5 * MINUTE - 15_001);
    expect(page.calls).toHaveLength(1);
    expect(page.timers).toHaveLength(1);
    await page.advance(1);
    expect(page.calls).toHaveLength(2);
    expect(Math.max(...page.delays)).toBe(MAX_TIMER_DELAY_MS);
    conn.stop();
  });

  it('sets no timer for a static token without expiry', async () => {
    page.answers.push({ body: tokenAnswer(page.now(), 'forever', null, null) });
    const conn = createConnection(options, page);
    await conn.ready;
    expect(page.timers).toEqual([]);
    conn.stop();
  });

  it('keeps the current answer after a failed fetch and retries with a growing pause, waiting at least Retry-After', async () => {
    page.answers.push({ body: tokenAnswer(page.now(), 'one', 100) });
    const errors: MapTokenError[] = [];
    const conn = createConnection({ ...options, onError: (error) => errors.push(error) }, page);
    await conn.ready;
    page.randomValue = 0;
    page.answers.push(
      { status: 502, body: { msg: 'ArcGIS failed', code: 'BadGateway' }, headers: { 'retry-after': '7' } },
      new TypeError('Failed to fetch'),
      { status: 503, body: { msg: 'down', code: 'ServiceUnavailable' } },
    );
    await page.advance(page.pendingDelay());
    expect(errors[0]).toMatchObject({ status: 502, code: 'BadGateway', retryAfterMs: 7_000, message: 'ArcGIS failed' });
    expect(page.pendingDelay()).toBe(7_000);
    await page.advance(7_000);
    expect(errors[1]).toMatchObject({ status: null, message: expect.stringContaining('Failed to fetch') });
    expect(page.pendingDelay()).toBe(1_000);
    await page.advance(1_000);
    expect(page.pendingDelay()).toBe(2_000);
    expect(conn.current?.token).toBe('one');
    page.answers.push({ body: tokenAnswer(page.now() + 2_000, 'two', 100) });
    await page.advance(2_000);
    expect(conn.current?.token).toBe('two');
    // success resets the back-off: the next failure pauses 1 s again
    page.answers.push({ status: 503, body: {} });
    await page.advance(page.pendingDelay());
    expect(page.pendingDelay()).toBe(1_000);
    conn.stop();
  });

  it('rejects ready and stops when the service refuses the first read for good', async () => {
    page.answers.push({ status: 401, body: { msg: 'The key is not valid.', code: 'Unauthorized' } });
    const conn = createConnection(options, page);
    await expect(conn.ready).rejects.toMatchObject({ name: 'MapTokenError', status: 401, code: 'Unauthorized', final: true });
    expect(page.timers).toEqual([]);
  });

  it('retries a first read that failed for a passing reason (429, 5xx) until it succeeds', async () => {
    page.answers.push({ status: 429, body: {}, headers: { 'retry-after': '3' } }, { body: tokenAnswer(page.now() + 3_000, 'one', 60) });
    const conn = createConnection(options, page);
    await page.advance(3_000);
    expect((await conn.ready).token).toBe('one');
    conn.stop();
  });

  it('stop() leaves no timer or listener and ignores an answer still on its way', async () => {
    page.answers.push({ body: tokenAnswer(page.now(), 'one', 10) });
    const conn = createConnection(options, page);
    await conn.ready;
    const seen: string[] = [];
    conn.onChange((answer) => seen.push(answer.token));
    page.answers.push({ body: tokenAnswer(page.now(), 'two', 10) });
    const report = conn.reportRejected('one');
    conn.stop();
    expect(page.timers).toEqual([]);
    await report.catch(() => undefined);
    await settle();
    expect(seen).toEqual([]);
    expect(conn.current?.token).toBe('one');
    await expect(conn.reportRejected('one')).rejects.toThrow('stopped');
  });

  it('stop() before the first answer rejects ready', async () => {
    page.answers.push({ body: tokenAnswer(page.now(), 'one', 10) });
    const conn = createConnection(options, page);
    conn.stop();
    await expect(conn.ready).rejects.toThrow('stopped');
  });

  it('reports a rejected token with one POST however many ask at once, and the answer replaces the timer', async () => {
    page.answers.push({ body: tokenAnswer(page.now(), 'one', 100) });
    const authorization = jest.fn(async () => 'Bearer short-lived');
    const conn = createConnection({ ...options, key: undefined, authorization }, page);
    await conn.ready;
    await page.advance(40_000);
    page.answers.push({ body: tokenAnswer(page.now(), 'two', 100) });
    const [a, b] = await Promise.all([conn.reportRejected('one'), conn.reportRejected('one')]);
    expect([a.token, b.token]).toEqual(['two', 'two']);
    expect(page.calls.filter((call) => call.method === 'POST')).toEqual([
      {
        url: 'https://tokens.example.com/api/v1/map-tokens/7/token',
        method: 'POST',
        headers: { 'atr-environment-id': 'prod', authorization: 'Bearer short-lived', 'content-type': 'application/json' },
        body: { rejected: 'one' },
      },
    ]);
    expect(page.pendingDelay()).toBe(refreshDelay(100_000, 0.5));
    conn.stop();
  });

  it.each([
    ['no key or authorization', { key: undefined }],
    ['both', { authorization: () => 'Bearer x' }],
    ['a relative service', { service: '/tokens' }],
    ['mapTokenID 0', { mapTokenID: 0 }],
    ['no environment', { environment: '' }],
  ])('refuses options with %s', (_what, change) => {
    expect(() => createConnection({ ...options, ...change }, page)).toThrow(TypeError);
    expect(page.calls).toEqual([]);
  });
});
