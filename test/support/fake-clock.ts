import type { Clock } from '../../src/clock';

/** Time that moves only when a test says so. */
export class FakeClock implements Clock {
  constructor(private current = Date.parse('2026-01-15T10:00:00.000Z')) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
