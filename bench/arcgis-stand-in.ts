import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

const TOKEN_PATH = '/sharing/rest/oauth2/token/';

/**
 * The smallest ArcGIS OAuth2 token endpoint that the service accepts: every POST is counted and,
 * after `delayMs`, answered with {"access_token": "...", "expires_in": lifetimeSeconds}.
 */
export class ArcgisStandIn {
  calls = 0;
  delayMs = 0;
  lifetimeSeconds = 7200;
  private server?: http.Server;
  private readonly sockets = new Set<Socket>();

  get origin(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('the ArcGIS stand-in is not started');
    return `http://127.0.0.1:${address.port}`;
  }

  get tokenUrl(): string {
    return `${this.origin}${TOKEN_PATH}`;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    req.on('end', () => {
      if (req.method !== 'POST') {
        res.writeHead(405, { 'content-type': 'text/plain' }).end('POST only');
        return;
      }
      this.calls += 1;
      const body = JSON.stringify({ access_token: `bench-${randomBytes(24).toString('hex')}`, expires_in: this.lifetimeSeconds });
      const answer = () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      if (this.delayMs > 0) setTimeout(answer, this.delayMs);
      else answer();
    });
  }
}
