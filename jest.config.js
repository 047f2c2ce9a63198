/** Unit, integration (real MySQL) and HTTP tests; see README "Tests". */
module.exports = {
  testEnvironment: 'node',
  // src/ is a root so that `--findRelatedTests` (and Stryker) can follow imports from a source file to
  // its tests; test files still come only from test/ (testMatch).
  roots: ['<rootDir>/test', '<rootDir>/src'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/test/faults/'],
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  testTimeout: 20000,
  maxWorkers: 2,
};
