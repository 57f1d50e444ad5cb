import type http from 'node:http';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync, constants as zlib } from 'node:zlib';

/** Where `npm run build:board` writes the page (web/board/build.mjs). */
export const BOARD_DIST = fileURLToPath(new URL('../../web/board/dist/', import.meta.url));

export interface BoardAsset {
  /** The URL path it is served at. */
  path: string;
  type: string;
  identity: Buffer;
  gzip: Buffer;
  br: Buffer;
  etag: string;
  /** Hashed names never change content: cached for a year. The page itself is revalidated. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * Only the gateway's own origin: the page loads nothing from elsewhere and talks to nobody else.
 * Object styles set through the DOM are not inline style attributes, so no 'unsafe-inline'.
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The compressed forms the build wrote beside each file (web/board/build.mjs). */
const COMPRESSED = /\.(br|gz)$/;

/**
 * A file's brotli and gzip forms: the build's (`file.br`, `file.gz`), when they are there and
 * inflate to the file's bytes, else made now with the build's settings (the same bytes, at a cost
 * of some 100 ms of the event loop on the first request for the board).
 */
function compressed(file: string, identity: Buffer): Pick<BoardAsset, 'br' | 'gzip'> {
  try {
    const br = readFileSync(`${file}.br`);
    const gzip = readFileSync(`${file}.gz`);
    if (brotliDecompressSync(br).equals(identity) && gunzipSync(gzip).equals(identity)) return { br, gzip };
  } catch {
    // not built with them: compressed below
  }
  return {
    gzip: gzipSync(identity, { level: 9 }),
    br: brotliCompressSync(identity, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: identity.length } }),
  };
}

function asset(urlPath: string, file: string): BoardAsset {
  const identity = readFileSync(file);
  return {
    path: urlPath,
    type: TYPES[path.extname(file)] ?? 'application/octet-stream',
    identity,
    ...compressed(file, identity),
    etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 22)}"`,
    immutable: urlPath.startsWith('/board/assets/'),
  };
}

/** The built page and its assets, read (and compressed, unless the build did) once. Empty when the board was not built. */
export function loadBoardAssets(dir = BOARD_DIST): Map<string, BoardAsset> {
  const table = new Map<string, BoardAsset>();
  const index = path.join(dir, 'index.html');
  if (!existsSync(index)) return table;
  table.set('/board', asset('/board', index));
  const assets = path.join(dir, 'assets');
  for (const name of existsSync(assets) ? readdirSync(assets) : []) {
    if (!COMPRESSED.test(name)) table.set(`/board/assets/${name}`, asset(`/board/assets/${name}`, path.join(assets, name)));
  }
  return table;
}

export interface BoardHandlerOptions {
  /** Also serve the page at `/` (demo mode). */
  atRoot?: boolean;
  /** @default web/board/dist */
  dir?: string;
}

/**
 * Serves the status board from memory: `/board` (and `/` when asked), its hashed assets, brotli or
 * gzip as the client accepts, with ETag revalidation. Returns false for any other request.
 */
export function createBoardHandler(options: BoardHandlerOptions = {}): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  let table: Map<string, BoardAsset> | null = null;
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const pathname = (req.url ?? '/').split('?')[0]!;
    let key: string;
    if (pathname === '/board' || pathname === '/board/' || (options.atRoot && pathname === '/')) key = '/board';
    else if (pathname.startsWith('/board/assets/')) key = pathname;
    else return false;
    table ??= loadBoardAssets(options.dir);
    const found = table.get(key);
    if (!found) {
      const missing = table.size === 0 ? 'The status board is not built: run `npm run build:board`.' : 'Not found';
      res.writeHead(table.size === 0 ? 503 : 404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : missing);
      return true;
    }
    const headers: Record<string, string> = {
      'content-type': found.type,
      etag: found.etag,
      vary: 'accept-encoding',
      'cache-control': found.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    };
    if (found.type.startsWith('text/html')) {
      headers['content-security-policy'] = CSP;
      headers['referrer-policy'] = 'no-referrer';
    }
    const inm = req.headers['if-none-match'];
    if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === found.etag)) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    const accepts = encodingsOf(req.headers['accept-encoding']);
    let body = found.identity;
    if (accepts.has('br')) {
      body = found.br;
      headers['content-encoding'] = 'br';
    } else if (accepts.has('gzip')) {
      body = found.gzip;
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = String(body.length);
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}

/** Encodings the client accepts (q=0 excluded). */
function encodingsOf(header: string | string[] | undefined): Set<string> {
  const out = new Set<string>();
  for (const part of String(header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q && Number(q.slice(2)) === 0) continue;
    out.add(name);
  }
  return out;
}
