import { execFile } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `npm start` and `npm run cli` run scripts/build-if-changed.js first. Here it runs in a small project of
 * its own (a copy of the scripts, one source file, a copy of the browser client, this project's TypeScript
 * and esbuild), so that building never rewrites the dist/ other tests are running.
 */
const ROOT = join(__dirname, '..', '..');
let project: string;

// tsc runs in a child, twice per build (the browser client's declarations too): seconds, a minute each at load average 30
jest.setTimeout(300_000);

function build(): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(project, 'scripts', 'build-if-changed.js')], { cwd: project }, (error, _stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'mtp-build-'));
  mkdirSync(join(project, 'scripts'));
  mkdirSync(join(project, 'src'));
  copyFileSync(join(ROOT, 'scripts', 'build-if-changed.js'), join(project, 'scripts', 'build-if-changed.js'));
  copyFileSync(join(ROOT, 'scripts', 'build-client.js'), join(project, 'scripts', 'build-client.js'));
  cpSync(join(ROOT, 'client'), join(project, 'client'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'));
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, types: [] } }),
  );
  writeFileSync(
    join(project, 'tsconfig.build.json'),
    JSON.stringify({ extends: './tsconfig.json', compilerOptions: { outDir: 'dist', rootDir: '.' }, include: ['src'] }),
  );
  writeFileSync(join(project, 'src', 'main.ts'), 'export const answer: number = 42;\n');
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

it('builds when never built, stays silent when nothing changed, and builds again after a source changes', async () => {
  const first = await build();
  expect(first.code).toBe(0);
  expect(first.stderr).toMatch(
    /^map-token-proxy: not built yet: compiling TypeScript \(npm run build\)\.\.\.\nmap-token-proxy: built in \d+\.\d s\n$/,
  );
  expect(existsSync(join(project, 'dist', 'src', 'main.js'))).toBe(true);
  // the browser client is part of the build
  const clientBuilt = statSync(join(project, 'dist', 'client', 'map-token-client.js')).mtimeMs;
  expect(existsSync(join(project, 'dist', 'client', 'map-token-client.d.ts'))).toBe(true);

  expect(await build()).toEqual({ code: 0, stderr: '' });

  const later = new Date(Date.now() + 5_000);
  utimesSync(join(project, 'src', 'main.ts'), later, later);
  const changed = await build();
  expect(changed.code).toBe(0);
  expect(changed.stderr).toMatch(/^map-token-proxy: sources changed since the last build: compiling TypeScript/);

  // a change to the browser client's sources alone builds again, and the served module with it
  const clientChange = new Date(Date.now() + 10_000);
  utimesSync(join(project, 'client', 'src', 'renewal-timing.ts'), clientChange, clientChange);
  const client = await build();
  expect(client.code).toBe(0);
  expect(client.stderr).toMatch(/^map-token-proxy: sources changed since the last build/);
  expect(statSync(join(project, 'dist', 'client', 'map-token-client.js')).mtimeMs).toBeGreaterThan(clientBuilt);

  // a compile error stops `npm start` with exit code 1 instead of running stale code
  writeFileSync(join(project, 'src', 'main.ts'), 'export const answer: number = "forty-two";\n');
  const broken = await build();
  expect(broken.code).toBe(1);
  expect(broken.stderr).toContain('map-token-proxy: the build failed');
});
