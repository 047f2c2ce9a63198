import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeArcgis } from '../test/support/fake-arcgis';
import { BenchDatabase } from './database';
import { PROJECT_ROOT, runCli, serviceEnvironment, stopAll } from './processes';
import { benchInUse, benchStored, type RenewalBenchContext, renderRenewals } from './renewals';
import { log } from './settings';

const ENVIRONMENT = 'bench';

/**
 * The renewal benchmarks (bench/renewals.ts) on their own: `npm run bench:renewals`. Also run by
 * `npm run bench`, through runRenewalBenches(). Writes bench/renewals.md.
 */
export async function runRenewalBenches(serverUrl: string): Promise<string> {
  const loadAtStart = loadavg()[0] ?? NaN;
  const cwd = mkdtempSync(join(tmpdir(), 'mtp-bench-renewals-')); // no stray .env reaches the children
  const arcgis = new FakeArcgis();
  const db = await BenchDatabase.create(serverUrl);
  try {
    await arcgis.start();
    const serviceEnv = serviceEnvironment(db.url, arcgis.url);
    await runCli(['migrate'], serviceEnv, cwd);
    const key = async (role: string) =>
      ((await runCli(['keys', 'create', '--environment', ENVIRONMENT, '--role', role], serviceEnv, cwd)) as { key: string }).key;
    const ctx: RenewalBenchContext = {
      db,
      arcgis,
      cwd,
      serviceEnv,
      adminHeaders: { 'atr-environment-id': ENVIRONMENT, 'atr-subscription-key': await key('admin') },
      readerHeaders: { 'atr-environment-id': ENVIRONMENT, 'atr-subscription-key': await key('reader') },
    };
    const inUse = await benchInUse(ctx);
    const stored = await benchStored(ctx);
    const report = renderRenewals(inUse, stored, loadAtStart);
    writeFileSync(join(PROJECT_ROOT, 'bench', 'renewals.md'), `# Benchmark: renewals at scale\n\n${report}`);
    log('written to bench/renewals.md');
    return report;
  } finally {
    await stopAll();
    await arcgis.stop();
    await db.drop().catch((error: Error) => log(`could not drop database ${db.name}: ${error.message}`));
    rmSync(cwd, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runRenewalBenches(process.env.MYSQL_BENCH_URL || 'mysql://root@127.0.0.1:3306').then(
    (report) => {
      process.stdout.write(report);
      process.exit(0);
    },
    (error: unknown) => {
      log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
