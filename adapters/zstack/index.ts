/** ZStack as one vendor module: its adapter, the GraphQL part that serves its deployments, its simulator and the cases the tests run against it. */
import { defineVendor } from '../../src/vendor-module.js';
import { zstackAdapter } from './adapter.js';
import { zstackGraphQL } from './graphql.js';
import { sha512Hex } from './client.js';
import type { ZStackSimulator } from './simulator.js';

export default defineVendor<ZStackSimulator>({
  adapter: zstackAdapter,
  graphql: zstackGraphQL,
  simulator: async (options) => (await import('./simulator.js')).createZStackSimulator(options),
  conformance: {
    existingKey: '1bb3ef7d600d4d30b21b8ffd299c37b5',
    missingKey: '0123456789abcdef0123456789abcdef',
    badKeys: [
      '..',
      '1BB3EF7D600D4D30B21B8FFD299C37B5',
      '1bb3ef7d600d4d30b21b8ffd299c37b',
      '1bb3ef7d600d4d30b21b8ffd299c37b5a',
      '1bb3ef7d-600d-4d30-b21b-8ffd299c37b5',
      '1bb3ef7d600d4d30b21b8ffd299c37b5/x',
      '%2e%2e',
      'gggggggggggggggggggggggggggggggg',
    ],
    validPatch: { description: 'Updated by conformance' },
    applied: (d) => d.description === 'Updated by conformance',
    invalidPatch: { name: '' },
    invalidPath: ['name'],
    // The model, and its user tags beside it.
    readCalls: 2,
  },
  secrets: {
    // The login sends the password's SHA-512 in its place (CONVENTIONS.md 3.2).
    ofBackend: (entry) => (typeof entry.password === 'string' ? [['a ZStack password as SHA-512 hex', sha512Hex(entry.password)]] : []),
    // Sessions are issued at login: each call presents one, and a logout names it in the path.
    ofCall(call) {
      const out: [string, string][] = [];
      const auth = call.headers.authorization;
      if (typeof auth === 'string' && auth.startsWith('OAuth ')) out.push(['a ZStack session uuid issued by the simulator', auth.slice('OAuth '.length).trim()]);
      const logout = /\/accounts\/sessions\/([^/]+)$/.exec(call.path);
      if (logout) out.push(['a ZStack session uuid issued by the simulator', decodeURIComponent(logout[1]!)]);
      return out;
    },
  },
});
