/**
 * The floor of the subscription benchmark: a bare node:http server that holds SSE responses and,
 * when told, writes one ready-made event to every one of them. No gateway can deliver an event to
 * N subscribers faster than this on the same core. Prints `{pid, url, fireUrl}` as one JSON line;
 * POST to fireUrl sends an event stamped with the time of sending, like the hub's `at`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const open = new Set<http.ServerResponse>();

const server = http.createServer((req, res) => {
  if (req.url === '/fire') {
    const at = new Date().toISOString();
    const frame = `event: next\ndata: {"data":{"modelDeploymentStatusChanged":{"__typename":"ModelDeploymentStatusTransition","current":"FAILED","at":"${at}","deployment":{"id":"x"}}}}\n\n`;
    for (const r of open) r.write(frame);
    res.end(String(open.size));
    return;
  }
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(':\n\n');
    open.add(res);
    res.on('close', () => open.delete(res));
  });
});
server.keepAliveTimeout = 65_000;
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const port = (server.address() as AddressInfo).port;
process.stdout.write(`${JSON.stringify({ pid: process.pid, url: `http://127.0.0.1:${port}/graphql`, fireUrl: `http://127.0.0.1:${port}/fire` })}\n`);
process.on('SIGTERM', () => process.exit(0));
