import { Readable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Gateway } from '../gateway.js';

/**
 * Hands a request to Yoga's node handler. A POST body the edge has already read (bounded) is
 * replayed from memory, with the request's URL, method, headers and socket.
 */
export function toYoga(gateway: Gateway, req: IncomingMessage, res: ServerResponse, body?: Buffer): void {
  if (body === undefined) {
    void gateway.yoga(req, res);
    return;
  }
  const replay = Object.assign(Readable.from(body.length ? [body] : [], { objectMode: false }), {
    url: req.url,
    method: req.method,
    headers: req.headers,
    httpVersion: req.httpVersion,
    socket: req.socket,
  });
  // Not a whole IncomingMessage: a readable body with the fields of one that Yoga's node handler reads.
  void gateway.yoga(replay as unknown as IncomingMessage, res);
}
