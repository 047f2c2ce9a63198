import NodeEnvironment from 'jest-environment-node';

type EnvironmentArgs = ConstructorParameters<typeof NodeEnvironment>;

/**
 * The Node test environment, plus `hostProcess`: the process that really emits 'unhandledRejection'
 * and 'uncaughtException' (a test's own `process` is a sandboxed copy whose listeners never fire).
 * For tests that must prove no promise rejection goes unhandled under load.
 */
export default class HostProcessEnvironment extends NodeEnvironment {
  constructor(config: EnvironmentArgs[0], context: EnvironmentArgs[1]) {
    super(config, context);
    this.global.hostProcess = process;
  }
}
