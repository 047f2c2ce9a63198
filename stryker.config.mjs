// Mutation testing (npm run test:mutation); see README "Tests". Slow: not part of `npm test` or CI.
// One file alone: npm run test:mutation -- --mutate src/arcgis/auth-url-allowlist.ts

/** The files under mutation. Adding one is one line here. */
const MUTATED = [
  'src/arcgis/arcgis-client.ts',
  'src/arcgis/auth-url-allowlist.ts',
  'src/crypto/*.ts',
  'src/http/authenticate.ts',
  'src/http/atr-headers.ts',
  // 'src/services/token-broker.ts',
];

export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    // Only the tests that import a mutated file run (jest --findRelatedTests, which follows imports
    // through src/ because src/ is one of jest's roots).
    enableFindRelatedTests: true,
    // The unit tests and the ArcGIS client's tests against its local stand-in pin these files'
    // rules; the HTTP suites go through them too but would take hours per file on two cores.
    config: {
      testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/integration/arcgis-client*.test.ts'],
      maxWorkers: 1,
    },
  },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  // Each mutant runs only the tests that executed its code during the first run.
  coverageAnalysis: 'perTest',
  concurrency: 2,
  mutate: MUTATED,
  // Test timeouts (a mutant that hangs a test) count as killed; leave room for a busy machine.
  timeoutMS: 20000,
  timeoutFactor: 2,
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
