import { MAX_TIMER_DELAY_MS } from './renewal-timing';

/** The timer functions of the page (injected, so that tests drive a fake clock). */
export interface TimerRuntime {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The one timer of a connection: arming it replaces what was armed. A delay longer than setTimeout keeps
 * (2^31-1 ms, about 24.8 days) is waited in steps, each re-armed when the last one fires.
 */
export class OneTimer {
  private handle: unknown = null;

  constructor(private readonly runtime: TimerRuntime) {}

  after(ms: number, callback: () => void): void {
    this.at(this.runtime.now() + ms, callback);
  }

  clear(): void {
    if (this.handle !== null) this.runtime.clearTimeout(this.handle);
    this.handle = null;
  }

  private at(due: number, callback: () => void): void {
    this.clear();
    const left = Math.max(0, due - this.runtime.now());
    const step = Math.min(left, MAX_TIMER_DELAY_MS);
    this.handle = this.runtime.setTimeout(() => {
      this.handle = null;
      if (step < left) this.at(due, callback);
      else callback();
    }, step);
  }
}
