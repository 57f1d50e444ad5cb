import { Pool } from 'undici';

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
}

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  connections: number;
  durationMs: number;
  /** Checks one response body (first few only); a wrong answer fails the run. */
  check?: (body: string) => boolean;
}

/** A closed-loop load generator: `connections` workers, each sending its next request when the last one is answered. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const u = new URL(spec.url);
  const pool = new Pool(u.origin, { connections: spec.connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const path = `${u.pathname}${u.search}`;
  const latencies: number[] = [];
  let errors = 0;
  let checked = 0;
  const end = performance.now() + spec.durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: spec.connections }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          const res = await pool.request({ path, method: spec.method, headers: spec.headers, body: spec.body });
          const text = await res.body.text();
          if (res.statusCode !== 200) errors++;
          else if (spec.check && checked < 5) {
            checked++;
            if (!spec.check(text)) throw new Error(`unexpected answer from ${spec.url}: ${text.slice(0, 300)}`);
          }
        } catch (err) {
          if ((err as Error).message.startsWith('unexpected answer')) throw err;
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { requests: latencies.length, errors, seconds, rps: latencies.length / seconds, p50: q(0.5), p99: q(0.99) };
}
