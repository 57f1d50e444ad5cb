import { timingSafeEqual, createHash } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gateway } from '../gateway.js';
import type { HealthView } from '../app/runtime.js';

/** Each gateway's last backend checks, shared by every listener that answers /readyz for it. */
const lastChecks = new WeakMap<object, { known: Map<string, HealthView>; checking: Set<string> }>();

export interface OpsEndpointsOptions {
  /** True once shutdown has begun: /readyz answers 503 from then on. */
  isDraining?: () => boolean;
  /** Answer /metrics on this listener. @default true unless `server.metrics` has a port of its own or is off */
  metrics?: boolean;
}

/**
 * /healthz (alive: the event loop answers), /readyz (ready: each backend's last check is known,
 * and not draining) and /metrics, outside API-key auth and cheap: readiness never waits for a
 * vendor, it reports the last check and starts the next one when the last is stale. Returns
 * false for any other request.
 */
export function createOpsEndpoints(gateway: Gateway, options: OpsEndpointsOptions = {}): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { runtime } = gateway;
  const metricsConfig = runtime.config.server.metrics;
  const serveMetrics = options.metrics ?? (metricsConfig.enabled && metricsConfig.port === undefined);
  let state = lastChecks.get(runtime);
  if (!state) lastChecks.set(runtime, (state = { known: new Map(), checking: new Set() }));
  const { known, checking } = state;

  function refresh() {
    for (const backend of runtime.backends.values()) {
      if (checking.has(backend.id)) continue;
      checking.add(backend.id);
      runtime
        .health(backend)
        .then((view) => known.set(backend.id, view))
        .finally(() => checking.delete(backend.id));
    }
  }

  function readiness() {
    refresh();
    const backends = [...runtime.backends.values()].map((b) => {
      const view = known.get(b.id);
      return {
        id: b.id,
        vendor: b.vendor,
        state: view ? (view.ok ? 'up' : 'down') : 'unknown',
        circuit: runtime.observability.circuitOf(b.id),
        checkedAt: view?.checkedAt.toISOString() ?? null,
        latencyMs: view?.latencyMs ?? null,
      };
    });
    const status = options.isDraining?.() ? 'draining' : backends.some((b) => b.state === 'unknown') ? 'starting' : 'ready';
    return { code: status === 'ready' ? 200 : 503, body: { status, backends } };
  }

  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = req.url?.split('?', 1)[0];
    if (path === '/healthz') {
      json(res, 200, { status: 'ok' });
      return true;
    }
    if (path === '/readyz') {
      const { code, body } = readiness();
      json(res, code, body);
      return true;
    }
    if (path === '/metrics' && serveMetrics) {
      void metrics(gateway, req, res);
      return true;
    }
    return false;
  };
}

/** /metrics on a port of its own (`server.metrics.port`). */
export async function startMetricsServer(gateway: Gateway, host: string, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && req.url?.split('?', 1)[0] === '/metrics') void metrics(gateway, req, res);
    else json(res, 404, { error: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function metrics(gateway: Gateway, req: IncomingMessage, res: ServerResponse) {
  const key = gateway.runtime.config.server.metrics.key;
  if (key && !sameKey(/^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1], key)) {
    json(res, 401, { error: 'metrics need Authorization: Bearer <server.metrics.key>' });
    return;
  }
  try {
    const { contentType, body } = await gateway.runtime.observability.metrics.scrape();
    res.writeHead(200, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch (err) {
    gateway.runtime.logger.error({ err }, 'metrics scrape failed');
    json(res, 500, { error: 'metrics scrape failed' });
  }
}

function sameKey(given: string | undefined, key: string): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(key).digest();
  return timingSafeEqual(a, b);
}

function json(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), 'cache-control': 'no-store' });
  res.end(text);
}
