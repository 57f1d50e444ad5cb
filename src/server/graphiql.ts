import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Gateway } from '../gateway.js';
import { DEFAULT_QUERY } from '../gateway.js';
import { createStaticAsset } from './static-assets.js';
import { pathOf, type Route } from './routes.js';

const require = createRequire(import.meta.url);
/** The version in the asset paths lets them be cached for a year. */
const VERSION = (require('@graphql-yoga/render-graphiql/package.json') as { version: string }).version;
export const GRAPHIQL_ASSETS = `/graphiql/${VERSION}`;

type Bundle = Record<'js' | 'css' | 'favicon' | 'editorWorkerService' | 'jsonWorker' | 'graphqlWorker', string>;
let bundle: Promise<Bundle> | null = null;
/**
 * Yoga's self-contained GraphiQL build: one `export const name = "…";` line per file (~9 MB).
 * Read as text and parsed, so that its strings are garbage once the assets hold their compressed
 * bytes (an imported module would keep them for the life of the process).
 */
const loadBundle = () =>
  (bundle ??= (async () => {
    const file = join(dirname(require.resolve('@graphql-yoga/render-graphiql/package.json')), 'esm', 'graphiql.js');
    const out: Record<string, string> = {};
    for (const line of (await readFile(file, 'utf8')).split('\n')) {
      const m = /^export const (\w+) = (".*");\s*$/s.exec(line);
      if (m) out[m[1]!] = JSON.parse(m[2]!) as string;
    }
    if (['js', 'css', 'favicon', 'editorWorkerService', 'jsonWorker', 'graphqlWorker'].some((k) => typeof out[k] !== 'string')) {
      // Another layout in a later version: import it instead.
      return (await import('@graphql-yoga/render-graphiql/graphiql')) as Bundle;
    }
    return out as Bundle;
  })());

/** Scripts and workers from this origin only; the page may not be framed. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
    "worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

const escapeJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

/**
 * GraphiQL as static files: a small page at the GraphQL endpoint (for `Accept: text/html`) and
 * Yoga's GraphiQL bundle split into a script, a stylesheet, its three editor workers and the
 * icon, each loaded and compressed once (on the first request for any of them) and served from
 * memory. Nothing comes from a CDN. The page needs no key (it holds no data); its operations do
 * (GraphiQL's headers tab).
 */
export function graphiqlRoute(gateway: Gateway): (Route & { warm(): Promise<void> }) | null {
  if (!gateway.runtime.config.server.graphiql) return null;
  const endpoint = gateway.yoga.graphqlEndpoint;
  const options = { title: 'model-gateway', endpoint, defaultQuery: DEFAULT_QUERY };
  const page = createStaticAsset({
    contentType: 'text/html; charset=utf-8',
    cacheControl: 'no-cache',
    headers: PAGE_HEADERS,
    load: () => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>model-gateway · GraphiQL</title>
    <link rel="icon" href="${GRAPHIQL_ASSETS}/favicon.ico" />
    <link rel="stylesheet" href="${GRAPHIQL_ASSETS}/graphiql.css" />
    <script type="application/json" id="graphiql-options">${escapeJson(options)}</script>
  </head>
  <body class="no-focus-outline">
    <noscript>GraphiQL needs JavaScript.</noscript>
    <div id="root"></div>
    <script src="${GRAPHIQL_ASSETS}/graphiql.js"></script>
    <script src="${GRAPHIQL_ASSETS}/start.js"></script>
  </body>
</html>
`,
  });
  const start = `(function () {
  var base = ${JSON.stringify(GRAPHIQL_ASSETS)};
  var workers = { editorWorkerService: base + '/editor.worker.js', json: base + '/json.worker.js', graphql: base + '/graphql.worker.js' };
  self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: function (_id, label) { return workers[label] || workers.editorWorkerService; } };
  var options = JSON.parse(document.getElementById('graphiql-options').textContent);
  YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), options);
})();
`;
  const js = 'text/javascript; charset=utf-8';
  const assets = new Map([
    ['graphiql.js', createStaticAsset({ contentType: js, load: async () => (await loadBundle()).js })],
    ['graphiql.css', createStaticAsset({ contentType: 'text/css; charset=utf-8', load: async () => (await loadBundle()).css })],
    ['editor.worker.js', createStaticAsset({ contentType: js, load: async () => (await loadBundle()).editorWorkerService })],
    ['json.worker.js', createStaticAsset({ contentType: js, load: async () => (await loadBundle()).jsonWorker })],
    ['graphql.worker.js', createStaticAsset({ contentType: js, load: async () => (await loadBundle()).graphqlWorker })],
    ['start.js', createStaticAsset({ contentType: js, load: () => start })],
    ['favicon.ico', createStaticAsset({ contentType: 'image/x-icon', load: async () => Buffer.from((await loadBundle()).favicon.replace(/^data:[^,]*;base64,/, ''), 'base64') })],
  ]);
  /**
   * Loads and compresses every file, one after the other, then lets the bundle's text go. Once
   * only: the first request for the page or a file starts it (or the server, with warmAssets), and
   * every later call gets the same promise.
   */
  let warming: Promise<void> | null = null;
  const warm = () =>
    (warming ??= (async () => {
      for (const asset of [page, ...assets.values()]) await asset.warm();
      bundle = null;
    })());
  /** A failure is answered by the request that needs the file (asset.serve). */
  const startWarming = () => void warm().catch(() => {});
  const prefix = `${GRAPHIQL_ASSETS}/`;
  const route: Route = (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = pathOf(req);
    if (path.startsWith(prefix)) {
      const asset = assets.get(path.slice(prefix.length));
      if (!asset) return false;
      asset.serve(req, res);
      startWarming();
      return true;
    }
    const wantsPage = (path === endpoint || path === `${endpoint}/`) && String(req.headers.accept ?? '').includes('text/html');
    if (!wantsPage) return false;
    page.serve(req, res);
    // The browser asks for the files next.
    startWarming();
    return true;
  };
  return Object.assign(route, { warm });
}
