import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, gunzip, gzip, constants } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
/** Larger files are kept compressed only; the rare client that takes neither brotli nor gzip gets them inflated per request. */
const KEEP_IDENTITY_BYTES = 64 * 1024;

export interface StaticAssetOptions {
  contentType: string;
  /** The bytes, made on the first request (a large bundle is not loaded until someone asks). */
  load: () => Buffer | string | Promise<Buffer | string>;
  /** @default public, max-age=31536000, immutable (for versioned paths); pages use no-cache + ETag */
  cacheControl?: string;
  headers?: Record<string, string>;
}

interface Encoded {
  etag: string;
  identity: Buffer | null;
  br: Buffer;
  gzip: Buffer;
}

/**
 * One static file served from memory: loaded and compressed once (brotli and gzip, off the event
 * loop), then every request gets the same buffers with an ETag; `If-None-Match` answers 304.
 */
export function createStaticAsset(options: StaticAssetOptions) {
  let ready: Promise<Encoded> | null = null;
  const prepare = async (): Promise<Encoded> => {
    const raw = await options.load();
    const identity = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const [br, gz] = await Promise.all([
      brotli(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: identity.length } }),
      gzipAsync(identity, { level: 6 }),
    ]);
    const etag = `"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`;
    return { etag, identity: identity.length <= KEEP_IDENTITY_BYTES ? identity : null, br, gzip: gz };
  };
  const headers = {
    'content-type': options.contentType,
    'cache-control': options.cacheControl ?? 'public, max-age=31536000, immutable',
    'x-content-type-options': 'nosniff',
    vary: 'accept-encoding',
    ...options.headers,
  };
  return {
    /** Starts loading and compressing now (the server does so when it listens). */
    warm(): Promise<unknown> {
      ready ??= prepare();
      return ready;
    },
    serve(req: IncomingMessage, res: ServerResponse): void {
      ready ??= prepare();
      ready.then(
        async (asset) => {
          if (req.headers['if-none-match'] === asset.etag) {
            res.writeHead(304, { etag: asset.etag, 'cache-control': headers['cache-control'], vary: 'accept-encoding' });
            res.end();
            return;
          }
          const accepts = String(req.headers['accept-encoding'] ?? '');
          const [body, encoding] = /\bbr\b/.test(accepts) ? [asset.br, 'br'] : /\bgzip\b/.test(accepts) ? [asset.gzip, 'gzip'] : [asset.identity ?? (await gunzipAsync(asset.gzip)), null];
          res.writeHead(200, { ...headers, etag: asset.etag, 'content-length': String(body.length), ...(encoding ? { 'content-encoding': encoding } : {}) });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`asset unavailable: ${err.message}`);
        },
      );
    },
  };
}
