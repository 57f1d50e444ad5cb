import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Gateway } from '../gateway.js';
import { graphiqlRoute } from './graphiql.js';

/** What a route may know of the edge besides the request. */
export interface EdgeContext {
  gateway: Gateway;
  /** True once a shutdown has begun (readiness answers 503 then). */
  isDraining(): boolean;
  /** The request's id (the client's own when valid), already set on the response. */
  requestId: string;
}

/**
 * A non-GraphQL endpoint of the edge: answers and returns true, or returns false to pass. Routes
 * run after the Host check and the request id, before GraphQL; they see every method and path.
 */
export type Route = (req: IncomingMessage, res: ServerResponse, edge: EdgeContext) => boolean;

/** A route with files it can load and compress ahead of the first request. */
export type WarmableRoute = Route & { warm?: () => Promise<void> };

/** The edge's own endpoints, in order. Health, readiness, metrics and the board are added here. */
export function builtInRoutes(gateway: Gateway): WarmableRoute[] {
  const graphiql = graphiqlRoute(gateway);
  return [...(graphiql ? [graphiql] : [])];
}

/** The path of a request URL, without its query. */
export const pathOf = (req: IncomingMessage): string => {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
};
