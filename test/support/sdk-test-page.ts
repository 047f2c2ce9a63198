import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = join(__dirname, '..', '..');

/** The parts of @arcgis/core a floor-map page uses, bundled once for the page server (no CDN). */
const SDK_ENTRY = `
export { default as esriId } from '@arcgis/core/identity/IdentityManager.js';
export { default as esriConfig } from '@arcgis/core/config.js';
export { default as esriRequest } from '@arcgis/core/request.js';
`;

/**
 * The page's own script: imports the browser client from the service (another origin) and the SDK from the
 * page's server, and gives the test a handle on both. It counts the calls that reach the SDK's own
 * getCredential (the ones that would open the sign-in dialog) and the dialogs created, and records every
 * setTimeout delay of the page.
 */
function pageScript(service: string): string {
  return `
import { connectMapToken } from '${service}/client/map-token-client.js';
import { esriId, esriConfig, esriRequest } from '/sdk/stdin.js';
esriConfig.assetsPath = '/sdk/assets';
const sdkOwnCalls = [];
const dialogs = [];
const timerDelays = [];
const sdkGetCredential = esriId.getCredential;
const counted = (url, options) => {
  sdkOwnCalls.push({ url, token: options?.token ?? null, status: options?.error?.details?.httpStatus ?? null });
  return sdkGetCredential.call(esriId, url, options);
};
esriId.getCredential = counted;
esriId.on('dialog-create', () => dialogs.push(Date.now()));
const pageSetTimeout = window.setTimeout;
window.setTimeout = (callback, ms, ...rest) => {
  timerDelays.push(ms);
  return pageSetTimeout(callback, ms, ...rest);
};
let connection = null;
const changes = [];
window.page = {
  sdkOwnCalls, dialogs, timerDelays, changes,
  getCredentialIsTheSdks: () => esriId.getCredential === counted,
  async connect(options) {
    connection = connectMapToken({ ...options, identityManager: esriId, esriConfig });
    connection.onChange((answer) => changes.push({ token: answer.token, expires: answer.expires, at: Date.now() }));
    return connection.ready;
  },
  current: () => connection.current,
  report: (token) => connection.reportRejected(token),
  stop: () => connection.stop(),
  credentialToken: (server) => esriId.findCredential(server)?.token ?? null,
  credentialCount: () => esriId.credentials.length,
  apiKey: () => esriConfig.apiKey ?? null,
  async request(url) {
    try {
      const answer = await esriRequest(url, { query: { f: 'json' } });
      return { ok: true, data: answer.data };
    } catch (error) {
      return { ok: false, name: error.name, message: error.message, status: error.details?.httpStatus ?? null };
    }
  },
};
window.pageReady = true;
`;
}

/** A floor-map page's own web server, on its own origin: the page and the bundled SDK. */
export class SdkTestPage {
  private server?: http.Server;
  private files = new Map<string, string>();
  private baseUrl?: string;

  get url(): string {
    if (this.baseUrl === undefined) throw new Error('SdkTestPage is not started');
    return this.baseUrl;
  }

  async start(): Promise<string> {
    const built = await esbuild.build({
      stdin: { contents: SDK_ENTRY, resolveDir: ROOT, sourcefile: 'sdk.js' },
      bundle: true,
      format: 'esm',
      splitting: true,
      outdir: '/sdk',
      write: false,
      loader: { '.css': 'empty' },
      logLevel: 'warning',
    });
    for (const file of built.outputFiles) this.files.set(file.path, file.text);
    const server = http.createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  /** The page, importing the client from `service`. */
  setService(service: string): void {
    this.files.set('/script.js', pageScript(service));
    this.files.set(
      '/',
      '<!doctype html><html><head><meta charset="utf-8"><title>floor map</title><script type="module" src="/script.js"></script></head><body></body></html>',
    );
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = new URL(req.url ?? '/', this.url).pathname;
    const body = this.files.get(path);
    if (req.method !== 'GET' || body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('not found');
    }
    res.writeHead(200, { 'content-type': path === '/' ? 'text/html; charset=utf-8' : 'text/javascript; charset=utf-8' });
    res.end(body);
  }
}
