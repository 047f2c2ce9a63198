#!/usr/bin/env node
/**
 * Builds the browser client (client/src) into the two files the service serves: dist/client/map-token-client.js,
 * one ES module bundled by esbuild, and dist/client/map-token-client.d.ts, its declarations by tsc. Part of
 * `npm run build` (and so of scripts/build-if-changed.js and the image).
 */
'use strict';
const { execFileSync } = require('node:child_process');
const { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const esbuild = require('esbuild');

const ROOT = join(__dirname, '..');
const ENTRY = join(ROOT, 'client', 'src', 'map-token-client.ts');
const OUT = join(ROOT, 'dist', 'client');

function buildClient() {
  mkdirSync(OUT, { recursive: true });
  esbuild.buildSync({
    entryPoints: [ENTRY],
    outfile: join(OUT, 'map-token-client.js'),
    bundle: true,
    format: 'esm',
    target: 'es2020',
    platform: 'browser',
    legalComments: 'none',
    banner: { js: '// map-token-client: keeps an ArcGIS token of map-token-proxy fresh in a page. Types: ./map-token-client.d.ts' },
    logLevel: 'warning',
  });
  // the entry's declarations are the public surface; they must stand alone (a page fetches one file)
  const declarations = mkdtempSync(join(tmpdir(), 'mtp-client-dts-'));
  try {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(
      process.execPath,
      [tsc, '-p', join(ROOT, 'client', 'tsconfig.json'), '--noEmit', 'false', '--declaration', '--emitDeclarationOnly', '--outDir', declarations],
      { stdio: 'inherit' },
    );
    const text = readFileSync(join(declarations, 'map-token-client.d.ts'), 'utf8');
    if (/^\s*import\b|\bfrom\s+['"]/m.test(text)) throw new Error('map-token-client.d.ts imports another file: keep the public types in the entry');
    writeFileSync(join(OUT, 'map-token-client.d.ts'), text);
  } finally {
    rmSync(declarations, { recursive: true, force: true });
  }
}

buildClient();
