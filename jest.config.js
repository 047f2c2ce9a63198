/** Unit, integration (real MySQL) and HTTP tests; see README "Tests". */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/test/faults/'],
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // a budget for a busy machine (load average 10 on two cores); tests that wait on a process or on hundreds of exchanges set more
  testTimeout: 60000,
  maxWorkers: 2,
};
