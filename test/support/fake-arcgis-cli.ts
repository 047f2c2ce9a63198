/**
 * Runs the fake ArcGIS token server (OAuth2 token URL and both generateToken URLs) for local demos: `npm run dev:arcgis -- [port] [mode]`.
 * The port comes from argv[2], else FAKE_ARCGIS_PORT, else 4567, so that the default
 * AUTH_URL_ALLOWLIST example `http://127.0.0.1:4567` works as is.
 */
import { FAKE_ARCGIS_MODES, FakeArcgis, type FakeArcgisMode } from './fake-arcgis';

const DEFAULT_PORT = 4567;

function fail(message: string): never {
  process.stderr.write(`fake-arcgis: ${message}\n`);
  process.exit(1);
}

function readPort(): number {
  const raw = process.argv[2] ?? process.env.FAKE_ARCGIS_PORT;
  if (raw === undefined || raw === '') return DEFAULT_PORT;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) fail(`port "${raw}" is not a number from 0 to 65535`);
  return port;
}

function readMode(): FakeArcgisMode {
  const raw = process.argv[3];
  if (raw === undefined) return 'ok';
  const mode = FAKE_ARCGIS_MODES.find((candidate) => candidate === raw);
  if (mode === undefined) fail(`mode "${raw}" is unknown; use one of ${FAKE_ARCGIS_MODES.join(', ')}`);
  return mode;
}

async function main(): Promise<void> {
  const fake = new FakeArcgis();
  fake.mode = readMode();
  await fake.start(readPort());
  process.stdout.write(`fake ArcGIS (${fake.mode}) token URL: ${fake.tokenUrl}\n`);
  process.stdout.write(`  portal generateToken URL: ${fake.portalTokenUrl}\n`);
  process.stdout.write(`  server generateToken URL: ${fake.serverTokenUrl}\n`);

  const shutdown = (): void => {
    void fake.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
