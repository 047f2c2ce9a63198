import * as http from 'node:http';
import { createHarness, type Harness, type HarnessOptions } from './harness';

/** One "instance": the real app on its own cache and pool, listening on a free port of 127.0.0.1. */
export interface ListeningInstance {
  harness: Harness;
  server: http.Server;
}

export async function startInstance(options: HarnessOptions): Promise<ListeningInstance> {
  const harness = createHarness(options);
  const server = http.createServer(harness.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { harness, server };
}

/** Closes every connection and the server, then the instance's store and background work. */
export async function stopInstances(instances: ListeningInstance[]): Promise<void> {
  for (const { harness, server } of instances) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await harness.close();
  }
}
