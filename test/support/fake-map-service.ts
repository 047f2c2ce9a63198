import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FAKE_ARCGIS_SERVER_GENERATE_TOKEN_PATH, type FakeArcgis } from './fake-arcgis';

/** How the stand-in refuses an invalid token: ArcGIS Server's HTTP 200 with a JSON error, or HTTP status 498. */
export type RejectForm = 'json-200' | 'http-498';

const MAP_SERVICES_PATH = '/arcgis/rest/services';
/** A self-signed certificate for 127.0.0.1, for tests only (a browser page opened with ignoreHTTPSErrors accepts it). */
const TLS_FIXTURES = join(__dirname, '..', 'e2e', 'fixtures');

export interface MapRequest {
  service: string;
  token: string | null;
  answer: 'ok' | 498 | 499;
}

/**
 * A standalone ArcGIS Server as a browser sees it: its generateToken (relayed to the ArcGIS stand-in, which
 * grants the tokens; every token that passes is remembered with its expiry) and secured map services under
 * /arcgis/rest/services/<name>/MapServer that answer a valid token with JSON, a missing one with 499 and an
 * invalid, expired or revoked one with 498, in the form set per service (as ArcGIS does, with CORS for pages).
 * The same services answer over https too (a static token's `server` must be https).
 */
export class FakeMapService {
  readonly requests: MapRequest[] = [];
  private readonly valid = new Map<string, number>();
  private readonly forms = new Map<string, RejectForm>();
  private server?: http.Server;
  private secureServer?: https.Server;
  private baseUrl?: string;
  private secureBaseUrl?: string;

  constructor(private readonly arcgis: FakeArcgis) {}

  get url(): string {
    if (this.baseUrl === undefined) throw new Error('FakeMapService is not started');
    return this.baseUrl;
  }

  /** The REST root of its services over https. */
  get secureServicesUrl(): string {
    if (this.secureBaseUrl === undefined) throw new Error('FakeMapService is not started');
    return `${this.secureBaseUrl}${MAP_SERVICES_PATH}`;
  }

  /** The REST root of its services: the token answers' `server`. */
  get servicesUrl(): string {
    return `${this.url}${MAP_SERVICES_PATH}`;
  }

  get generateTokenUrl(): string {
    return `${this.url}${FAKE_ARCGIS_SERVER_GENERATE_TOKEN_PATH}`;
  }

  mapServiceUrl(name: string): string {
    return `${this.servicesUrl}/${name}/MapServer`;
  }

  /** A token this server accepts until `expires` (epoch ms; null: for ever), e.g. a static one. */
  accept(token: string, expires: number | null): void {
    this.valid.set(token, expires ?? Number.POSITIVE_INFINITY);
  }

  revoke(token: string): void {
    this.valid.delete(token);
  }

  rejectWith(service: string, form: RejectForm): void {
    this.forms.set(service, form);
  }

  async start(): Promise<string> {
    const server = http.createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const tls = { key: readFileSync(join(TLS_FIXTURES, 'loopback-tls.key')), cert: readFileSync(join(TLS_FIXTURES, 'loopback-tls.crt')) };
    const secure = https.createServer(tls, (req, res) => this.handle(req, res));
    this.secureServer = secure;
    await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
    this.secureBaseUrl = `https://127.0.0.1:${(secure.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    for (const server of [this.server, this.secureServer]) {
      if (!server) continue;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    if (req.method === 'POST' && url.pathname === FAKE_ARCGIS_SERVER_GENERATE_TOKEN_PATH) return void this.relay(req, res);
    const service = new RegExp(`^${MAP_SERVICES_PATH}/([^/]+)/MapServer/?$`).exec(url.pathname)?.[1];
    if (req.method !== 'GET' || service === undefined) return send(res, 404, { error: { code: 404, message: 'Not found', details: [] } });
    const token = url.searchParams.get('token');
    const expires = token === null ? undefined : this.valid.get(token);
    if (token === null) {
      this.requests.push({ service, token, answer: 499 });
      return send(res, 200, { error: { code: 499, message: 'Token Required', details: [] } });
    }
    if (expires === undefined || expires <= Date.now()) {
      this.requests.push({ service, token, answer: 498 });
      const status = this.forms.get(service) === 'http-498' ? 498 : 200;
      return send(res, status, { error: { code: 498, message: 'Invalid Token', details: [] } });
    }
    this.requests.push({ service, token, answer: 'ok' });
    send(res, 200, { currentVersion: 11.3, mapName: service, layers: [{ id: 0, name: 'Floors' }] });
  }

  /** generateToken, answered by the ArcGIS stand-in; the token it grants becomes valid here. */
  private async relay(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const upstream = await fetch(this.arcgis.serverTokenUrl, {
      method: 'POST',
      headers: { 'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded' },
      body: Buffer.concat(chunks),
    });
    const text = await upstream.text();
    try {
      const granted = JSON.parse(text) as { token?: string; expires?: number };
      if (granted.token && granted.expires) this.accept(granted.token, granted.expires);
    } catch {
      // an error page passes through as it is
    }
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(text);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'access-control-allow-origin': '*' });
  res.end(JSON.stringify(body));
}
