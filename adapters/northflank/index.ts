/** Northflank as one vendor module: its adapter, the GraphQL part that serves its deployments, its simulator and the cases the tests run against it. */
import { defineVendor } from '../../src/vendor-module.js';
import { northflankAdapter } from './adapter.js';
import { northflankGraphQL } from './graphql.js';
import type { NorthflankSimulator } from './simulator.js';

export default defineVendor<NorthflankSimulator>({
  adapter: northflankAdapter,
  graphql: northflankGraphQL,
  simulator: async (options) => (await import('./simulator.js')).createNorthflankSimulator(options),
  conformance: {
    existingKey: 'default-project/deepseek-v3-deployment',
    missingKey: 'default-project/no-such-deployment',
    badKeys: [
      'deepseek-v3-deployment',
      'default-project/deepseek-v3-deployment/extra',
      'default-project/..',
      '../deepseek-v3-deployment',
      'default-project/Deepseek-V3',
      'default-project/deepseek%2fv3',
      'default-project/deepseek v3',
      'default-project/',
      `default-project/${'a'.repeat(101)}`,
    ],
    validPatch: { description: 'changed by conformance' },
    applied: (d) => d.description === 'changed by conformance',
    invalidPatch: { vendor: { ports: [{ name: 'p', internalPort: 70000, protocol: 'HTTP' }] } },
    invalidPath: ['northflank', 'ports', 0, 'internalPort'],
  },
});
