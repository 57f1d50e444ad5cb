import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import type { Gateway } from '../gateway.js';
import { requestIdOf } from './edge.js';

type EnvelopedRoot = { execute: (a: ExecutionArgs) => never; subscribe: (a: ExecutionArgs) => never };

export interface WebSocketEdge {
  /** Takes an upgrade request for the GraphQL endpoint whose Host and Origin the edge has accepted. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Refuses new operations; closes each socket with 1001 once its operations have finished. */
  drain(): Promise<void>;
  /** Closes every socket at once. */
  close(): Promise<void>;
}

interface Tracked {
  socket: WebSocket;
  /** Operations accepted and not yet completed. */
  running: number;
  idle: (() => void) | null;
}

/**
 * graphql-ws over WebSocket on the GraphQL endpoint. Every operation runs through
 * `yoga.getEnveloped()` (the same plugins as HTTP). A bad operation — unparsable, invalid, over a
 * limit, refused — gets an `error` message for its id; the socket and its other operations go on.
 */
export function createWebSocketEdge(gateway: Gateway, isDraining: () => boolean): WebSocketEdge {
  const endpoint = gateway.yoga.graphqlEndpoint;
  const maxBytes = gateway.runtime.config.server.maxRequestBytes;
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBytes });
  const tracked = new Map<WebSocket, Tracked>();
  const trackedOf = (socket: WebSocket): Tracked => {
    let t = tracked.get(socket);
    if (!t) {
      t = { socket, running: 0, idle: null };
      tracked.set(socket, t);
      socket.once('close', () => {
        tracked.delete(socket);
        t!.idle?.();
      });
    }
    return t;
  };

  const disposeWs = useServer(
    {
      onConnect: (ctx) => {
        if (isDraining()) return false;
        trackedOf(ctx.extra.socket);
        const auth = authorizationOf(ctx.connectionParams, ctx.extra.request.headers.authorization);
        return gateway.authenticate(auth) !== null;
      },
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onSubscribe: async (ctx, _id, payload) => {
        if (isDraining()) return [new GraphQLError('The server is shutting down: send the operation again to another instance.', { extensions: { code: 'UNAVAILABLE' } })];
        try {
          const headers = new Headers();
          const auth = authorizationOf(ctx.connectionParams, ctx.extra.request.headers.authorization);
          if (auth) headers.set('authorization', auth);
          headers.set('x-request-id', requestIdOf(ctx.extra.request.headers['x-request-id']));
          const traceparent = ctx.extra.request.headers.traceparent;
          if (typeof traceparent === 'string') headers.set('traceparent', traceparent);
          const request = new Request(`http://localhost${endpoint}`, { method: 'POST', headers });
          const { schema, execute, subscribe, contextFactory, parse, validate } = gateway.yoga.getEnveloped({ ...ctx, request, params: payload });
          if (typeof payload.query !== 'string') return [new GraphQLError('The operation has no query string.', { extensions: { code: 'BAD_REQUEST' } })];
          const document = parse(payload.query);
          const errors = validate(schema, document);
          if (errors.length) return [...errors];
          const args = {
            schema,
            operationName: payload.operationName,
            document,
            variableValues: payload.variables,
            contextValue: await contextFactory(),
            rootValue: { execute, subscribe },
          };
          trackedOf(ctx.extra.socket).running++;
          return args;
        } catch (err) {
          // A parse error, a query-limit rule that throws, a refused context: this operation only.
          if (err instanceof GraphQLError) return [err];
          gateway.runtime.logger.error({ err }, 'WebSocket operation failed before it started');
          return [new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL' } })];
        }
      },
      onComplete: (ctx) => {
        const t = tracked.get(ctx.extra.socket);
        if (!t) return;
        t.running = Math.max(0, t.running - 1);
        // graphql-ws sends the operation's `complete` right after this hook: close after it.
        if (t.running === 0 && t.idle) setImmediate(() => t.running === 0 && t.idle?.());
      },
    },
    wss,
  );

  return {
    upgrade(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    async drain() {
      await Promise.all(
        [...wss.clients].map(
          (socket) =>
            new Promise<void>((resolve) => {
              const t = trackedOf(socket);
              const closeNow = () => {
                t.idle = null;
                if (socket.readyState === socket.OPEN) socket.close(1001, 'server shutting down');
                resolve();
              };
              if (t.running === 0 || socket.readyState !== socket.OPEN) closeNow();
              else t.idle = closeNow;
            }),
        ),
      );
    },
    async close() {
      await disposeWs.dispose();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function authorizationOf(params: Record<string, unknown> | undefined, header: string | undefined): string | null {
  const fromParams = params?.authorization ?? params?.Authorization;
  if (typeof fromParams === 'string') return fromParams;
  return header ?? null;
}
