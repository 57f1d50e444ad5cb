/** NVIDIA NeMo as one vendor module: its adapter, the GraphQL part that serves its deployments, its simulator and the cases the tests run against it. */
import { defineVendor } from '../../src/vendor-module.js';
import { nemoAdapter } from './adapter.js';
import { nemoGraphQL } from './graphql.js';
import type { NemoSimulator } from './simulator.js';

export default defineVendor<NemoSimulator>({
  adapter: nemoAdapter,
  graphql: nemoGraphQL,
  // Auth is optional on NeMo installations; the demo runs with it on, as production usually does.
  simulator: async (options) => (await import('./simulator.js')).createNemoSimulator({ token: 'nemo-simulator-token', ...options }),
  conformance: {
    existingKey: 'research-team-alpha/llama-3.1-8b',
    missingKey: 'research-team-alpha/no-such-deployment',
    badKeys: [
      '..',
      'research-team-alpha',
      'research-team-alpha/..',
      './llama-3.1-8b',
      'research-team-alpha/llama 3.1',
      'research-team-alpha/llama%2f8b',
      'research-team-alpha/a/b',
      'research-team-alpha/',
      `research-team-alpha/${'x'.repeat(256)}`,
    ],
    validPatch: { vendor: { config: 'llama-config-v3' } },
    applied: (d) => (d.raw as { config?: unknown }).config === 'llama-config-v3',
    invalidPatch: { vendor: { config: 'llama config!' } },
    invalidPath: ['nemo', 'config'],
  },
});
