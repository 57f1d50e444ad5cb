import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Gateway } from '../gateway.js';
import { createHostCheck, createOriginCheck, readBody, requestIdOf, sendError } from './edge.js';
import { createFastLane, type FastLane } from './fast-lane.js';
import { builtInRoutes, pathOf, type EdgeContext, type Route } from './routes.js';
import { createBoardHandler } from '../board/assets.js';
import { createOpsEndpoints, startMetricsServer } from '../observability/index.js';
import { createWebSocketEdge } from './websocket.js';
import { toYoga } from './yoga-lane.js';

export interface ServerOptions {
  /** @default 127.0.0.1 */
  host?: string;
  /** 0 picks a free port. @default 4000 */
  port?: number;
  /** Routes tried before the built-in ones (src/server/routes.ts). */
  routes?: Route[];
  /**
   * Load and compress the static assets (GraphiQL's ~9 MB bundle) in the background once
   * listening, instead of on the first request for any of them. The work competes with the first
   * answers for the CPU, so `serve` leaves it to the first GraphiQL visit. @default false
   */
  warmAssets?: boolean;
  /** Serve the status board at `/` too (demo mode); it is always at `/board`. */
  boardAtRoot?: boolean;
  /** Serve plain JSON operations on the fast lane (src/server/fast-lane.ts), or on the one given. @default true */
  fastLane?: boolean | FastLane;
}

export interface RunningServer {
  url: string;
  port: number;
  server: http.Server;
  /** True from the start of a drain on (readiness answers 503 then). */
  isDraining(): boolean;
  /**
   * Graceful shutdown: stops accepting connections, lets requests in flight finish and answer,
   * ends SSE streams with `complete`, closes WebSockets with 1001 once their operations are done,
   * then closes the gateway. Bounded by `server.drainTimeoutMs`, after which what is left is cut.
   * Resolves true when everything finished in time.
   */
  drain(): Promise<boolean>;
  /** Closes everything at once. */
  close(): Promise<void>;
}

const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The only place that listens: HTTP (GraphQL, SSE, GraphiQL and the edge's routes) and graphql-ws
 * over WebSocket, on one port. Every request passes the same checks in the same order: Host,
 * request id, routes, body size, then one of two lanes that give the same answers.
 */
export async function startServer(gateway: Gateway, options: ServerOptions = {}): Promise<RunningServer> {
  const config = gateway.runtime.config;
  const { logger, clock } = gateway.runtime;
  const host = options.host ?? '127.0.0.1';
  const endpoint = gateway.yoga.graphqlEndpoint;
  const maxBytes = config.server.maxRequestBytes;
  const hostCheck = createHostCheck(config);
  const originCheck = createOriginCheck(config);
  const fastLane = options.fastLane === false ? null : typeof options.fastLane === 'object' ? options.fastLane : createFastLane(gateway);
  const builtIn = builtInRoutes(gateway);
  const board = createBoardHandler({ atRoot: options.boardAtRoot });
  const routes: Route[] = [...(options.routes ?? []), (req, res) => board(req, res), ...builtIn];

  let draining = false;
  const isDraining = () => draining;
  // Health, readiness and metrics come first: cheap, outside auth.
  routes.unshift(createOpsEndpoints(gateway, { isDraining }));
  /** Responses not yet finished: a drain waits for them. */
  const inFlight = new Set<http.ServerResponse>();
  let onSettled: (() => void) | null = null;

  /** A response is done (answered or cut): a drain may be waiting for it. One listener for every response. */
  function settled(this: http.ServerResponse) {
    inFlight.delete(this);
    if (draining) {
      server.closeIdleConnections();
      onSettled?.();
    }
  }
  // Built-in routes answer only GET and HEAD: a POST meets a route only when `options.routes` adds one.
  const postRoutes = (options.routes?.length ?? 0) > 0;

  const server = http.createServer({ connectionsCheckingInterval: 1000, requestTimeout: config.server.requestTimeoutMs }, (req, res) => {
    inFlight.add(res);
    res.on('close', settled);
    const verdict = hostCheck(req.headers.host);
    if (verdict !== 'ok') {
      logger.debug({ host: req.headers.host, verdict }, 'request refused for its Host header');
      if (verdict === 'malformed') sendError(res, 400, 'BAD_REQUEST', 'Malformed Host header');
      else sendError(res, 403, 'FORBIDDEN', 'This Host is not served without auth: add it to server.allowedHosts');
      return;
    }
    const requestId = requestIdOf(req.headers['x-request-id']);
    req.headers['x-request-id'] = requestId;
    if (draining) res.setHeader('connection', 'close');
    const bodyless = BODYLESS.has(req.method ?? 'GET');
    if (bodyless || postRoutes) {
      res.setHeader('x-request-id', requestId);
      const edge: EdgeContext = { gateway, isDraining, requestId };
      for (const route of routes) if (route(req, res, edge)) return;
      if (bodyless) return toYoga(gateway, req, res);
    }
    // A request with a body: every answer names the request id, given to each path here rather than
    // set beforehand, so that the fast lane writes its head in one piece (a header set before
    // writeHead makes Node take every header of the head one by one).
    const idHeader = { 'x-request-id': requestId };
    // Refuse oversized bodies from Content-Length before reading any of it.
    if (Number(req.headers['content-length'] ?? 0) > maxBytes) {
      sendError(res, 413, 'PAYLOAD_TOO_LARGE', `Request body larger than ${maxBytes} bytes`, { connection: 'close', ...idHeader });
      req.resume();
      return;
    }
    readBody(req, res, maxBytes, idHeader, (body) => {
      if (body === null) return;
      if (fastLane?.handle(req, res, body.toString('utf8'), requestId)) return;
      if (!res.headersSent) res.setHeader('x-request-id', requestId);
      toYoga(gateway, req, res, body);
    });
  });
  server.headersTimeout = Math.min(20_000, config.server.requestTimeoutMs);
  server.keepAliveTimeout = 65_000;

  const ws = createWebSocketEdge(gateway, isDraining);
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: string) => {
      logger.debug({ host: req.headers.host, origin: req.headers.origin, status }, 'WebSocket upgrade refused');
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (pathOf(req) !== endpoint) return refuse('404 Not Found');
    const verdict = hostCheck(req.headers.host);
    if (verdict === 'malformed') return refuse('400 Bad Request');
    if (verdict === 'foreign') return refuse('403 Forbidden');
    // A page of another site must not reach the API with the visitor's network position.
    if (!originCheck(req.headers.origin, req.headers.host)) return refuse('403 Forbidden');
    if (draining) return refuse('503 Service Unavailable');
    ws.upgrade(req, socket, head);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4000, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const { metrics } = config.server;
  const metricsServer = metrics.enabled && metrics.port !== undefined ? await startMetricsServer(gateway, host, metrics.port) : null;
  if (options.warmAssets) {
    for (const r of builtIn) r.warm?.().catch((err: unknown) => logger.warn({ err }, 'a static asset could not be prepared'));
  }
  const shownHost = host.includes(':') ? `[${host}]` : host;

  let drained: Promise<boolean> | null = null;
  let closed = false;
  async function closeAll() {
    if (closed) return;
    closed = true;
    await metricsServer?.close();
    await ws.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await gateway.close();
  }

  return {
    url: `http://${shownHost}:${port}${endpoint}`,
    port,
    server,
    isDraining,
    drain() {
      drained ??= (async () => {
        draining = true;
        logger.info({ requests: inFlight.size }, 'draining: no new connections; waiting for requests, streams and sockets');
        // Stop accepting; idle keep-alive connections close now, busy ones after their response.
        server.close();
        server.closeIdleConnections();
        for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
        gateway.endStreams();
        let timer: { cancel(): void } | null = null;
        const timedOut = new Promise<false>((resolve) => (timer = clock.setTimer(() => resolve(false), config.server.drainTimeoutMs)));
        const requestsDone = new Promise<void>((resolve) => {
          const check = () => {
            if (inFlight.size === 0) {
              onSettled = null;
              resolve();
            }
          };
          onSettled = check;
          check();
        });
        const clean = await Promise.race([Promise.all([requestsDone, ws.drain()]).then(() => true), timedOut]);
        (timer as { cancel(): void } | null)?.cancel();
        if (!clean) logger.warn({ requests: inFlight.size, drainTimeoutMs: config.server.drainTimeoutMs }, 'drain timed out: closing what is left');
        await closeAll();
        return clean;
      })();
      return drained;
    },
    async close() {
      draining = true;
      gateway.endStreams();
      await closeAll();
    },
  };
}
