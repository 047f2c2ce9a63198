import type { IncomingMessage, ServerResponse } from 'node:http';

/** A middleware that only sets headers (and may end a preflight), e.g. helmet() or cors(). */
export type HeaderMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * The headers a header-only middleware sets for a request with `method` and `headers`, as a flat
 * [name, value, ...] list. It runs once, at start, on a response that records them: helmet's headers
 * depend on nothing of the request, cors()'s only on the method and the Origin, so a stage can add the
 * recorded list to each answer instead of running the middleware again. A middleware that ends the
 * response (cors() answers a preflight itself) is recorded too; its Content-Length is left to the answer.
 */
export function recordHeaders(middleware: HeaderMiddleware, method: string, headers: Record<string, string>): string[] {
  const recorded = new Map<string, [name: string, value: string]>();
  let done = false;
  const res = {
    statusCode: 200,
    getHeader: (name: string) => recorded.get(name.toLowerCase())?.[1],
    setHeader: (name: string, value: unknown) => recorded.set(name.toLowerCase(), [name, String(value)]),
    removeHeader: (name: string) => recorded.delete(name.toLowerCase()),
    end: () => {
      done = true;
    },
  };
  middleware({ method, headers } as IncomingMessage, res as unknown as ServerResponse, (error) => {
    if (error) throw error;
    done = true;
  });
  if (!done) throw new Error('a header middleware did not finish at once; its headers cannot be recorded');
  recorded.delete('content-length');
  return [...recorded.values()].flat();
}
