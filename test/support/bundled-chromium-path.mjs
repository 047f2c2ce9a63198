// Prints where the Chromium of the @sparticuz/chromium dev dependency is (unpacking it on first use).
// The package is an ES module only, which Jest's CommonJS runtime cannot load: tests run this file in a
// child process instead (on Node 20 as on 24).
import chromium from '@sparticuz/chromium';

process.stdout.write(await chromium.executablePath());
