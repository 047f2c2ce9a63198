#!/usr/bin/env node
/**
 * Compiles TypeScript (npm run build) only when a source file changed since the last build, and says so.
 * Used by `npm start`, `npm run cli` and the test suite; the installed bin (dist/src/cli.js) never builds.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync, utimesSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const STAMP = join(ROOT, 'dist', '.build-stamp');
const INPUTS = ['src', 'bench', 'client', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build-client.js'];

/** The newest modification time of a file or folder and everything below it (a deleted file changes its folder). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

function buildIfChanged() {
  const built = existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0;
  const changed = Math.max(...INPUTS.map((input) => newest(join(ROOT, input))));
  if (built > changed) return false;
  process.stderr.write(`map-token-proxy: ${built ? 'sources changed since the last build' : 'not built yet'}: compiling TypeScript (npm run build)...\n`);
  const started = Date.now();
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
    // the browser client, as `npm run build` does
    execFileSync(process.execPath, [join(__dirname, 'build-client.js')], { cwd: ROOT, stdio: 'inherit' });
  } catch {
    process.stderr.write('map-token-proxy: the build failed (see above)\n');
    process.exit(1);
  }
  // dated when the build began: a file saved while it ran is newer, and builds next time
  writeFileSync(STAMP, `${new Date(started).toISOString()}\n`);
  utimesSync(STAMP, new Date(started), new Date(started));
  process.stderr.write(`map-token-proxy: built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return true;
}

buildIfChanged();
