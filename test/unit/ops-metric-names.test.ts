import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMetrics } from '../../src/metrics';

const ops = join(__dirname, '..', '..', 'ops');
const files = [
  'prometheus/map-token-proxy.rules.yml',
  'prometheus/map-token-proxy.rules.test.yml',
  'grafana/map-token-proxy.dashboard.json',
];

/** The metric names the service exports, as Prometheus stores them (a histogram as its _bucket, _sum and _count). */
async function exported(): Promise<string[]> {
  const metrics = await createMetrics().registry.getMetricsAsJSON();
  return metrics.flatMap(({ name, type }) => (String(type) === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name]));
}

/** The service's metric names (mtp_*, and the process_* and nodejs_* of prom-client's defaults) a file uses. */
function namesUsedIn(file: string): string[] {
  const text = readFileSync(join(ops, file), 'utf8');
  return [...new Set([...text.matchAll(/\b((?:mtp|process|nodejs)_[a-z0-9_]+)\b/g)].map((match) => match[1] as string))];
}

describe('the monitoring files in ops/', () => {
  it('are the rules, their tests and the dashboard (a new file is checked here too)', () => {
    const found = ['prometheus', 'grafana'].flatMap((folder) => readdirSync(join(ops, folder)).map((name) => `${folder}/${name}`));
    expect(found.sort()).toEqual([...files].sort());
  });

  it.each(files)('%s uses only metric names the service exports', async (file) => {
    const names = await exported();
    const used = namesUsedIn(file);
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((name) => !names.includes(name))).toEqual([]);
  });

  it('has an alert for each thing SPEC and the runbook say to watch', () => {
    const rules = readFileSync(join(ops, 'prometheus/map-token-proxy.rules.yml'), 'utf8');
    const alerts = [...rules.matchAll(/- alert: (\S+)/g)].map((match) => match[1]);
    expect(alerts).toEqual([
      'MapTokenProxyDown',
      'MapTokenProxyNotReady',
      'MapTokensFailing',
      'MapTokenReadsWaiting',
      'MapTokenRenewalBacklog',
      'MapTokenStaticTokensExpiring',
      'MapTokenProxyErrors',
    ]);
    // every alert has a unit test
    const tests = readFileSync(join(ops, 'prometheus/map-token-proxy.rules.test.yml'), 'utf8');
    for (const alert of alerts) expect(tests).toContain(`alertname: ${alert}\n        exp_alerts:\n          - exp_labels`);
  });
});
