import pino, { type Logger } from 'pino';
import { LOG_REDACT_PATHS, REDACTED } from './redaction';

export type { Logger };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'map-token-proxy' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // redaction is configuration, not discipline: these fields are censored in every log object
      redact: { paths: LOG_REDACT_PATHS, censor: REDACTED },
      formatters: { level: (label) => ({ level: label }) },
    },
    // asynchronous: lines gather while a write is in flight, so under load one write carries some 30
    // lines (measured); a minimum batch (minLength) made writes no rarer there, only lines later when quiet
    destination ?? pino.destination({ sync: false }),
  );
}
