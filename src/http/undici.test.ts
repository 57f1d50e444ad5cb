import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { errors, Pool, undiciLoadedFrom } from './undici.js';

const require = createRequire(import.meta.url);

describe("undici's pool without its entry point", () => {
  it("is loaded from undici's own files (a later undici that moved them is caught here, not only in the start-up time)", () => {
    expect(undiciLoadedFrom).toBe('files');
  });

  it('gives the classes the entry point gives, with the request API on the pool', async () => {
    const entry = require('undici') as typeof import('undici');
    expect(Pool).toBe(entry.Pool);
    expect(errors).toBe(entry.errors);
    const server = createServer((_req, res) => res.end('pong'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const res = await pool.request({ path: '/', method: 'GET' });
      expect(await res.body.text()).toBe('pong');
    } finally {
      await pool.close();
      server.close();
    }
  });
});
