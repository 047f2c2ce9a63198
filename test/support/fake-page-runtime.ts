import type { Runtime } from '../../client/src/connection';
import { MAX_TIMER_DELAY_MS } from '../../client/src/renewal-timing';

interface Timer {
  id: number;
  due: number;
  callback: () => void;
}

/** One answer of the fake service: a JSON body with a status and headers. */
export interface FakeAnswer {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface FetchCall {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * A page's clock, timers, randomness and fetch, driven by a test. Timers refuse delays that a browser would
 * wrap (over 2^31-1 ms), so a test fails where a page would fire at once. fetch answers from a queue.
 */
export class FakePageRuntime implements Runtime {
  current = Date.parse('2026-03-01T08:00:00.000Z');
  randomValue = 0.5;
  readonly timers: Timer[] = [];
  readonly delays: number[] = [];
  readonly calls: FetchCall[] = [];
  readonly answers: (FakeAnswer | Error)[] = [];
  private nextId = 1;

  now = (): number => this.current;
  random = (): number => this.randomValue;

  setTimeout = (callback: () => void, ms: number): unknown => {
    if (!(ms >= 0 && ms <= MAX_TIMER_DELAY_MS)) throw new Error(`setTimeout(${ms}) would wrap in a browser`);
    const timer = { id: this.nextId++, due: this.current + ms, callback };
    this.timers.push(timer);
    this.delays.push(ms);
    return timer.id;
  };

  clearTimeout = (handle: unknown): void => {
    const index = this.timers.findIndex((timer) => timer.id === handle);
    if (index >= 0) this.timers.splice(index, 1);
  };

  fetch = async (url: string, init: RequestInit): Promise<Response> => {
    this.calls.push({
      url,
      method: init.method ?? 'GET',
      headers: init.headers as Record<string, string>,
      body: init.body === undefined ? undefined : JSON.parse(String(init.body)),
    });
    const answer = this.answers.shift();
    if (answer === undefined) throw new Error('the test gave the fake service no answer for this call');
    if (answer instanceof Error) throw answer;
    return new Response(JSON.stringify(answer.body), { status: answer.status ?? 200, headers: answer.headers });
  };

  /** When the one pending timer is due, relative to now (the test fails if there is not exactly one). */
  pendingDelay(): number {
    if (this.timers.length !== 1) throw new Error(`${this.timers.length} timers pending, not one`);
    return (this.timers[0] as Timer).due - this.current;
  }

  /** Moves the clock, firing each timer that falls due (in order), and lets the answers they fetch settle. */
  async advance(ms: number): Promise<void> {
    const end = this.current + ms;
    for (;;) {
      await settle();
      const next = [...this.timers].sort((a, b) => a.due - b.due)[0];
      if (!next || next.due > end) break;
      this.current = next.due;
      this.clearTimeout(next.id);
      next.callback();
    }
    this.current = end;
    await settle();
  }
}

/** Lets pending promise callbacks (a fetch's answer, its JSON) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A token read answer whose token expires `seconds` after `now`. */
export function tokenAnswer(
  now: number,
  token: string,
  seconds: number | null,
  server: string | null = 'https://gis.example.com/portal/sharing/rest',
) {
  return {
    mapTokenID: 7,
    token,
    token_Expire_Date: seconds === null ? null : new Date(now + seconds * 1000).toISOString(),
    expires_in: seconds,
    expires: seconds === null ? null : now + seconds * 1000,
    server,
    ssl: server?.startsWith('https:') ?? false,
  };
}
