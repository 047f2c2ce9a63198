// Mutation testing (npm run test:mutation); see docs/development.md. Slow: not part of `npm test` or CI.
// One file alone: npm run test:mutation -- --mutate src/arcgis/auth-url-allowlist.ts

/**
 * What is mutated, and the test files that pin its rules (jest globs from the project root). Adding a
 * file is one line here. `mysql: true` for tests that need the MySQL server (they run its check first).
 */
const TARGETS = [
  {
    mutate: 'src/arcgis/arcgis-client.ts',
    tests: ['test/unit/arcgis-client-rules.test.ts', 'test/integration/arcgis-client*.test.ts', 'test/integration/arcgis-generate-token.test.ts'],
  },
  { mutate: 'src/arcgis/auth-url-allowlist.ts', tests: ['test/unit/auth-url-allowlist*.test.ts', 'test/unit/config.test.ts'] },
  { mutate: 'src/crypto/*.ts', tests: ['test/unit/secret-box.test.ts', 'test/unit/crypto-rules.test.ts'] },
  { mutate: 'src/http/authenticate.ts', tests: ['test/unit/request-caller-rules.test.ts'] },
  { mutate: 'src/http/atr-headers.ts', tests: ['test/unit/request-caller-rules.test.ts'] },
  { mutate: 'src/services/token-broker.ts', tests: ['test/unit/token-broker-rules.test.ts'] },
  { mutate: 'src/services/token-renewer.ts', tests: ['test/unit/token-renewer-rules.test.ts'] },
  { mutate: 'src/services/token-state.ts', tests: ['test/unit/token-state.test.ts', 'test/unit/token-timing.test.ts'] },
  { mutate: 'src/token-timing.ts', tests: ['test/unit/token-timing.test.ts'] },
  { mutate: 'src/metrics.ts', tests: ['test/unit/metrics.test.ts'] },
  { mutate: 'src/redaction.ts', tests: ['test/unit/redaction.test.ts'] },
  { mutate: 'src/arcgis/server-of.ts', tests: ['test/unit/token-timing.test.ts'] },
  { mutate: 'src/auth-types/*.ts', tests: ['test/unit/auth-types.test.ts', 'test/unit/token-timing.test.ts'] },
  { mutate: 'src/services/renewal-scheduler.ts', tests: ['test/unit/renewal-scheduler-rules.test.ts', 'test/unit/renewal-scheduler-timing.test.ts'] },
];

export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    // Of the test files below, only those that import a mutated file run (jest --findRelatedTests,
    // which follows imports through src/ because src/ is one of jest's roots).
    enableFindRelatedTests: true,
    config: {
      testMatch: [...new Set(TARGETS.flatMap((target) => target.tests.map((glob) => `<rootDir>/${glob}`)))],
      // The MySQL check of `npm test`, only when a listed test needs MySQL.
      ...(TARGETS.some((target) => target.mysql) ? {} : { globalSetup: null }),
    },
  },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  // Each mutant runs only the tests that executed its code during the first run.
  coverageAnalysis: 'perTest',
  // One test runner and one type checker: usable on a busy two-core machine.
  concurrency: 2,
  mutate: TARGETS.map((target) => target.mutate),
  // A mutant that makes a test hang counts as killed once this much longer than the first run.
  timeoutMS: 20000,
  timeoutFactor: 2,
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
