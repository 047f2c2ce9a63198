/** Unit, integration (real MySQL) and HTTP tests; see docs/development.md. */
module.exports = {
  testEnvironment: 'node',
  // src/ is a root so that `--findRelatedTests` (and Stryker) can follow imports from a source file to
  // its tests; test files still come only from test/ (testMatch).
  roots: ['<rootDir>/test', '<rootDir>/src'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/test/faults/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json' }] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // a budget for a busy machine (load average 10 on two cores); tests that wait on a process or on hundreds of exchanges set more
  testTimeout: 60000,
  maxWorkers: 2,
};
