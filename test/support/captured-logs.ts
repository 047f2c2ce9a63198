import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger';

/** A logger whose lines the test keeps: each parsed (`logs`) and as written (`lines`, `text()`). */
export interface CapturedLogs {
  logger: Logger;
  logs: Record<string, unknown>[];
  lines: string[];
  /** Every line as written, one per line: what a secret must never be found in. */
  text(): string;
}

export function captureLogs(level = 'info'): CapturedLogs {
  const logs: Record<string, unknown>[] = [];
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        lines.push(line);
        logs.push(JSON.parse(line));
      }
      done();
    },
  });
  return { logger: createLogger(level, sink), logs, lines, text: () => lines.join('\n') };
}
