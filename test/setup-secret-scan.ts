/**
 * After each test file: no configured secret (simulator tokens, the ZStack password and its
 * SHA-512, ZStack sessions, API keys, backend credentials) in anything the file made visible —
 * the gateways' log lines (trace level), their responses, the CLI's output. See test/secret-capture.ts.
 * A hit fails the file, naming the kind of secret and where it showed; the secret is never printed.
 */
import { afterAll } from 'vitest';
import { describeHit, scan } from './secret-capture.js';

afterAll(() => {
  const hits = scan();
  if (hits.length === 0) return;
  const lines = [...new Set(hits.map(describeHit))];
  throw new Error(`secret scan: ${lines.length} finding(s):\n  - ${lines.slice(0, 20).join('\n  - ')}${lines.length > 20 ? `\n  … and ${lines.length - 20} more` : ''}`);
});
