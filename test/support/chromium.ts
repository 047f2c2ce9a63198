import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's Chromium where installed; otherwise the one the @sparticuz/chromium package ships (unpacked on first
 * use). TEST_CHROMIUM=bundled picks the package's on a machine that has both, TEST_CHROMIUM=<path> any other.
 */
const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** A host name that maps to this machine and that, unlike 127.0.0.1, the browser treats as plain insecure HTTP. */
export const PLAIN_HTTP_HOST = 'docs.test';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // a page in the background keeps its timers on time
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  `--host-resolver-rules=MAP ${PLAIN_HTTP_HOST} 127.0.0.1`,
];

async function bundledChromium(): Promise<string> {
  const script = join(__dirname, 'bundled-chromium-path.mjs');
  return (await promisify(execFile)(process.execPath, [script])).stdout;
}

async function chromiumPath(): Promise<string> {
  const chosen = process.env.TEST_CHROMIUM?.trim();
  if (chosen === 'bundled') return bundledChromium();
  if (chosen) return chosen;
  return existsSync(DEBIAN_CHROMIUM) ? DEBIAN_CHROMIUM : bundledChromium();
}

/**
 * Starts headless Chromium. A test that needs a browser fails (never skips) when none can start: the error
 * says which executable was tried. Unpacking the npm browser and its first start take seconds.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: await chromiumPath(), args: CHROMIUM_ARGS });
}
