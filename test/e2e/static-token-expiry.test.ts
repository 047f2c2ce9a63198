import request from 'supertest';
import { createHarness, type Harness } from '../support/harness';

const ENV = 'expiry-env';
const DAY = 86_400_000;

describe('static tokens that expire soon: ?expiring=true and mtp_static_tokens_expiring', () => {
  let h: Harness;
  let admin: string;

  afterEach(() => h.close());

  async function start(env: Record<string, string> = {}): Promise<void> {
    h = createHarness({ env });
    admin = await h.key(ENV, 'admin');
  }

  /** Static items expiring this many days from now (null: no date), created in one PUT; their ids. */
  async function createStatic(days: (number | null)[]): Promise<number[]> {
    const items = days.map((day, index) => ({
      organization_ID: 1,
      authType: 'static',
      token: `static-${index}`,
      ...(day === null ? {} : { token_Expire_Date: new Date(h.clock.now() + day * DAY).toISOString() }),
    }));
    const res = await list('').send(items).expect(200);
    return res.body.result.map((item: { mapTokenID: number }) => item.mapTokenID);
  }

  function list(query: string): request.Test {
    const req = query === '' ? request(h.app).put('/api/v1/admin/map-tokens') : request(h.app).get(`/api/v1/admin/map-tokens${query}`);
    return req.set('atr-environment-id', ENV).set('atr-subscription-key', admin);
  }

  async function listedIds(query: string): Promise<number[]> {
    const res = await list(query).expect(200);
    expect(res.body.total).toBe(res.body.result.length);
    return res.body.result.map((item: { mapTokenID: number }) => item.mapTokenID);
  }

  async function gauge(): Promise<{ value: number; help: string }> {
    const text = (await request(h.app).get('/metrics').expect(200)).text;
    return {
      value: Number(/^mtp_static_tokens_expiring (\S+)$/m.exec(text)?.[1]),
      help: /^# HELP mtp_static_tokens_expiring (.*)$/m.exec(text)?.[1] ?? '',
    };
  }

  it('lists static tokens expiring within 30 days (the edge included) or already expired, and counts them', async () => {
    await start();
    const [tenDays, thirtyDays, thirtyOneDays, undated] = await createStatic([10, 30, 31, null]);

    expect(await listedIds('?expiring=true')).toEqual([tenDays, thirtyDays]);
    expect(await listedIds('?expiring=false')).toEqual([tenDays, thirtyDays, thirtyOneDays, undated]);
    expect((await gauge()).value).toBe(2);

    // eleven days on: the first has expired and is still listed; the third now falls within 30 days
    h.clock.advance(11 * DAY);
    expect(await listedIds('?expiring=true')).toEqual([tenDays, thirtyDays, thirtyOneDays]);
    expect((await gauge()).value).toBe(3);
  });

  it('says in the gauge help that the value is fleet-wide and is aggregated with max', async () => {
    await start();
    expect((await gauge()).help).toMatch(/every instance reports the same value.*aggregate with max, not sum/);
  });

  it('looks STATIC_TOKEN_WARN_DAYS ahead', async () => {
    await start({ STATIC_TOKEN_WARN_DAYS: '7' });
    const [sixDays, , sevenDays] = await createStatic([6, 8, 7]);
    expect(await listedIds('?expiring=true')).toEqual([sixDays, sevenDays]);
    expect((await gauge()).value).toBe(2);
  });

  it('refuses an expiring value other than true or false, naming the parameter', async () => {
    await start();
    const res = await list('?expiring=yes').expect(400);
    expect(res.body.code).toBe('BadRequest');
    expect(res.body.details).toEqual([{ path: 'query/expiring', message: 'must be one of: true, false' }]);
  });
});
