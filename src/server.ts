import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { ExecutionArgs } from 'graphql';
import type { Gateway } from './gateway.js';
import { createFastPath } from './http/fast-path.js';
import { assignRequestId, createOpsEndpoints, startMetricsServer } from './observability/index.js';

export interface ServerOptions {
  /** @default 127.0.0.1 */
  host?: string;
  /** 0 picks a free port. @default 4000 */
  port?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  server: http.Server;
  close(): Promise<void>;
}

type EnvelopedRoot = { execute: (a: ExecutionArgs) => never; subscribe: (a: ExecutionArgs) => never };

/**
 * The only place that listens: HTTP (GraphQL, GraphiQL, SSE) and graphql-ws over WebSocket, on
 * one port and one path.
 */
export async function startServer(gateway: Gateway, options: ServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const maxBytes = gateway.runtime.config.server.maxRequestBytes;
  const fastPath = createFastPath(gateway, maxBytes);
  let draining = false;
  const ops = createOpsEndpoints(gateway, { isDraining: () => draining });
  const server = http.createServer((req, res) => {
    assignRequestId(req, res);
    if (ops(req, res)) return;
    // Refuse oversized bodies from Content-Length before reading any of it.
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > maxBytes) {
      res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ errors: [{ message: `Request body larger than ${maxBytes} bytes`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] }));
      req.destroy();
      return;
    }
    if (fastPath(req, res)) return;
    void gateway.yoga(req, res);
  });
  server.keepAliveTimeout = 65_000;

  const wss = new WebSocketServer({ server, path: gateway.yoga.graphqlEndpoint, maxPayload: maxBytes });
  const disposeWs = useServer(
    {
      onConnect: (ctx) => {
        const auth = authorizationOf(ctx.connectionParams, ctx.extra.request.headers.authorization);
        return gateway.authenticate(auth) !== null;
      },
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onSubscribe: async (ctx, _id, payload) => {
        const headers = new Headers();
        const auth = authorizationOf(ctx.connectionParams, ctx.extra.request.headers.authorization);
        if (auth) headers.set('authorization', auth);
        const requestId = ctx.extra.request.headers['x-request-id'];
        if (typeof requestId === 'string') headers.set('x-request-id', requestId);
        if (typeof ctx.extra.request.headers.traceparent === 'string') headers.set('traceparent', ctx.extra.request.headers.traceparent);
        const request = new Request(`http://localhost${gateway.yoga.graphqlEndpoint}`, { method: 'POST', headers });
        const { schema, execute, subscribe, contextFactory, parse, validate } = gateway.yoga.getEnveloped({ ...ctx, request, params: payload });
        const args = {
          schema,
          operationName: payload.operationName,
          document: parse(payload.query),
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args as never;
      },
    },
    wss,
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4000, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const { metrics } = gateway.runtime.config.server;
  const metricsServer = metrics.enabled && metrics.port !== undefined ? await startMetricsServer(gateway, host, metrics.port) : null;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/graphql`,
    port,
    server,
    async close() {
      draining = true;
      await metricsServer?.close();
      await disposeWs.dispose();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await gateway.close();
    },
  };
}

function authorizationOf(params: Record<string, unknown> | undefined, header: string | undefined): string | null {
  const fromParams = params?.authorization ?? params?.Authorization;
  if (typeof fromParams === 'string') return fromParams;
  return header ?? null;
}
