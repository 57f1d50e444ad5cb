/**
 * The status board in a real browser (Debian's chromium through playwright-core) against the demo
 * stack: the gateway over HTTP in front of the three vendor simulators. Also the page's serving
 * (compression, ETag, cache headers) and its size budget, which need no browser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import { gunzipSync, gzipSync, brotliCompressSync, brotliDecompressSync, constants as zlib } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium as playwright, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { buildBoard } from '../web/board/build.mjs';
import { createBoardHandler } from '../src/board/assets.js';
import { chromium, requireService } from './services.js';
import { startStack, dataOf, hubIdle, pollRounds, createSkippingClock, type Stack } from './helpers.js';
import { createManualClock, type ManualClock } from '../src/domain/clock.js';
import { bin } from './binary.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const SCREENSHOT = path.join(root, 'docs/board.png');
/** The budget for everything the page loads, compressed. */
const BUDGET_BYTES = 150 * 1024;
/** How long a change may take to show (the 2 s), plus room for a machine whose cores are busy. */
const VISIBLE_MS = 2_000;

const haveChromium = requireService(chromium, 'the status board browser tests');

let built: string[] = [];
/** The browser, launched while the page is built (it needs the page only once a test opens it). */
let launching: Promise<Browser> | undefined;
beforeAll(async () => {
  if (haveChromium) {
    launching = playwright.launch({
      executablePath: chromium.command,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    // Awaited by the browser tests; a failure is theirs, not an unhandled rejection here.
    launching.catch(() => {});
  }
  // The sources as they are now, into the folder the gateway serves from.
  built = (await buildBoard()).files;
}, 60_000);
afterAll(async () => (await launching?.catch(() => undefined))?.close());

/**
 * For a stack whose hub runs on its manual clock: waits until `read` gives `expected`, moving the
 * clock on by `stepMs` (a poll interval) whenever no poll is under way, and the upstream clients'
 * clock (`upstream`, one that skips its retry waits) with it. What would come after a wait (the
 * hub's backed-off retry of a failing backend, the upstream breaker letting a call through again)
 * comes now; polls stay one per interval, and reads are real HTTP calls. The timeout guards
 * against a hang, not a pace.
 */
async function hurryUntil<T>(stack: Stack, upstream: ManualClock, read: () => Promise<T>, expected: T, stepMs: number): Promise<void> {
  const hub = stack.gateway.runtime.hub!;
  await expect
    .poll(
      async () => {
        if (hubIdle(hub)) {
          stack.clock.advance(stepMs);
          upstream.advance(stepMs);
        }
        return read();
      },
      { interval: 20 },
    )
    .toEqual(expected);
}

const origin = (stack: Stack) => new URL(stack.url).origin;

describe('serving the board', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ vendors: ['northflank'] });
  });
  afterAll(async () => stack?.close());

  it('serves the page and its assets compressed, with ETag and cache headers; a matching ETag gets 304', async () => {
    const page = await fetch(`${origin(stack)}/board`, { headers: { 'accept-encoding': 'br' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/board\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toHaveLength(2);
    for (const a of assets) {
      const res = await fetch(`${origin(stack)}${a}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toContain('immutable');
      expect(res.headers.get('vary')).toBe('accept-encoding');
      const etag = res.headers.get('etag')!;
      expect(etag).toMatch(/^"[^"]+"$/);
      const again = await fetch(`${origin(stack)}${a}`, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
      expect((await again.arrayBuffer()).byteLength).toBe(0);
    }
    // Demo mode only: `/` is not the board on a configured gateway.
    expect((await fetch(`${origin(stack)}/`)).headers.get('content-type') ?? '').not.toMatch(/^text\/html.*board/);
  });

  it('the whole page is at most 150 KB compressed (gzip and brotli), as the gateway serves it', async () => {
    const raw = (url: string, encoding: string) =>
      new Promise<{ bytes: Buffer; encoding: string | undefined }>((resolve, reject) => {
        // node:http, not fetch: fetch would decompress and hide the size on the wire.
        import('node:http').then(({ get }) =>
          get(url, { headers: { 'accept-encoding': encoding } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ bytes: Buffer.concat(chunks), encoding: res.headers['content-encoding'] }));
          }).on('error', reject),
        );
      });
    const paths = ['/board', ...built.filter((f) => f.startsWith('assets/')).map((f) => `/board/${f}`)];
    expect(paths).toHaveLength(3);
    for (const encoding of ['gzip', 'br']) {
      let total = 0;
      for (const p of paths) {
        const { bytes, encoding: got } = await raw(`${origin(stack)}${p}`, encoding);
        expect(got).toBe(encoding);
        const plain = encoding === 'gzip' ? gunzipSync(bytes) : brotliDecompressSync(bytes);
        expect(plain.length).toBeGreaterThan(bytes.length);
        total += bytes.length;
      }
      expect(total, `${encoding} total`).toBeLessThanOrEqual(BUDGET_BYTES);
    }
  });

  it("serves the build's brotli and gzip forms; forms that do not inflate to the file are made again, and none is served as a file", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mg-board-'));
    const servers: http.Server[] = [];
    /** The board handler on a port of its own, over the files of `dir` as they are now. */
    const serve = async () => {
      const handler = createBoardHandler({ dir });
      const server = http.createServer((req, res) => {
        if (handler(req, res)) return;
        res.writeHead(404);
        res.end();
      });
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    };
    const body = async (url: string, encoding: string) => {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(url, { headers: { 'accept-encoding': encoding } }, resolve).on('error', reject));
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      return { status: res.statusCode, encoding: res.headers['content-encoding'], bytes: Buffer.concat(chunks) };
    };
    try {
      const js = (await buildBoard(dir)).files.find((f) => f.endsWith('.js'))!;
      const file = path.join(dir, js);
      const plain = readFileSync(file);
      // Valid forms other than the ones the gateway would make (brotli 1 and gzip 1, not 11 and 9): served as they are.
      const br1 = brotliCompressSync(plain, { params: { [zlib.BROTLI_PARAM_QUALITY]: 1 } });
      const gz1 = gzipSync(plain, { level: 1 });
      writeFileSync(`${file}.br`, br1);
      writeFileSync(`${file}.gz`, gz1);
      let origin = await serve();
      expect((await body(`${origin}/board/${js}`, 'br')).bytes.equals(br1)).toBe(true);
      expect((await body(`${origin}/board/${js}`, 'gzip')).bytes.equals(gz1)).toBe(true);
      expect((await body(`${origin}/board/${js}.br`, 'br')).status).toBe(404);
      expect((await body(`${origin}/board/${js}.gz`, 'gzip')).status).toBe(404);
      // A form of other bytes (a stale build): made again from the file.
      writeFileSync(`${file}.gz`, gzipSync(Buffer.from('stale')));
      origin = await serve();
      const gz = await body(`${origin}/board/${js}`, 'gzip');
      expect(gz.encoding).toBe('gzip');
      expect(gunzipSync(gz.bytes).equals(plain)).toBe(true);
      const br = await body(`${origin}/board/${js}`, 'br');
      expect(br.bytes.equals(br1)).toBe(false);
      expect(brotliDecompressSync(br.bytes).equals(plain)).toBe(true);
    } finally {
      for (const s of servers) s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('viewer tells what the calling key may do', async () => {
    const keyed = await startStack({
      vendors: ['northflank'],
      config: { auth: { apiKeys: [{ name: 'watcher', key: 'board-read-key-0123456789', scopes: ['read'], backends: ['northflank'] }] } },
    });
    try {
      const r = dataOf(await keyed.gql('{ viewer { name scopes backends } }', {}, { token: 'board-read-key-0123456789' }));
      expect(r.viewer).toEqual({ name: 'watcher', scopes: ['read'], backends: ['northflank'] });
      expect((await keyed.gql('{ viewer { name } }')).status).toBe(401);
      expect(dataOf(await stack.gql('{ viewer { name scopes backends } }')).viewer).toEqual({ name: 'anonymous', scopes: ['read', 'write'], backends: null });
    } finally {
      await keyed.close();
    }
  });
});

describe.skipIf(!haveChromium)('the status board in chromium', () => {
  /** `npm start` in demo mode, started with the browser: its start-up overlaps the tests before its own. */
  let demo: { child: ChildProcess; out: () => string } | undefined;
  beforeAll(async () => {
    const child = spawn(process.execPath, [bin, 'serve'], { env: { ...process.env, PORT: '0', LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    demo = { child, out: () => out };
    await launching;
  }, 60_000);
  afterAll(async () => {
    await (await tabOpen?.catch(() => undefined))?.context.close();
    await stopChild(demo?.child);
  });

  async function stopChild(child: ChildProcess | undefined) {
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
  }

  /**
   * One tab for every test here. A new tab costs a renderer process (some half a second of CPU on
   * this machine); every gateway here listens on 127.0.0.1, one site, so a tab can go from one to
   * the next. Each visit is a fresh load of the page; its storage is the gateway's origin's own.
   */
  let tabOpen: Promise<{ context: BrowserContext; page: Page }> | undefined;
  /** Where requests of the tab are counted: the visit under way. */
  let visiting: { base: string; requests: string[]; streams: number } | undefined;
  const openTab = async () => {
    const context = await (await launching!).newContext({ viewport: { width: 1400, height: 900 }, colorScheme: 'light' });
    // Every request the tab makes, as it is sent.
    context.on('request', (r) => {
      if (!visiting) return;
      visiting.requests.push(r.url());
      if (new URL(r.url()).origin === visiting.base && isStream(r)) visiting.streams++;
    });
    return { context, page: await context.newPage() };
  };

  /**
   * Loads `pathAndQuery` of a gateway in the tab. The page may talk to that gateway's origin only:
   * anything else is recorded and refused. `failStreams`: that many of its subscriptions are cut
   * as they start. `clock`: the page's timers run on a clock the test can move (with real time
   * until moved; it stays installed in the tab).
   */
  async function visit(target: Stack | string, pathAndQuery: string, options: { failStreams?: number; clock?: boolean } = {}): Promise<Visit> {
    const { context, page } = await (tabOpen ??= openTab());
    const base = typeof target === 'string' ? target : origin(target);
    const foreign: string[] = [];
    const counted = { base, requests: [] as string[], streams: 0 };
    await page.goto('about:blank');
    await context.unrouteAll({ behavior: 'ignoreErrors' });
    // The pattern is matched in the driver, so requests for the gateway's origin go on without a
    // round trip to this process.
    await context.route(new RegExp(`^(?!${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/)`), (route) => {
      foreign.push(route.request().url());
      return route.abort('blockedbyclient');
    });
    let failStreams = options.failStreams ?? 0;
    if (failStreams > 0) {
      await context.route(`${base}/graphql`, (route) => (isStream(route.request()) && failStreams-- > 0 ? route.abort('connectionreset') : route.continue()));
    }
    if (options.clock) await page.clock.install();
    visiting = counted;
    await page.goto(`${base}${pathAndQuery}`);
    return { page, context, foreign, requests: counted.requests, streams: () => counted.streams };
  }
  type Visit = { page: Page; context: BrowserContext; foreign: string[]; requests: string[]; streams: () => number };
  /** Ends the visit under way (the page's subscription with it), before its gateway closes. */
  async function leave() {
    const tab = await tabOpen?.catch(() => undefined);
    visiting = undefined;
    await tab?.page.goto('about:blank');
    await tab?.page.setViewportSize({ width: 1400, height: 900 });
  }
  /** A subscription's request (graphql-sse): a POST that accepts an event stream. */
  const isStream = (r: Request) => (r.headers().accept ?? '').includes('text/event-stream');

  const row = (page: Page, id: string) => page.locator(`tr[data-id="${id}"]`);

  describe('open demo stack', () => {
    let stack: Stack;
    let all: Array<{ id: string; vendor: string; name: string; status: string }>;
    const POLL_MS = 200;
    const upstreamClock = createSkippingClock();
    beforeAll(async () => {
      // The hub and the upstream clients run on the stack's manual clock, which moves only when a
      // test moves it: a poll at a time (pollRounds), or up to what a wait would bring (hurryUntil).
      // The upstream clients' clock skips their retry waits: a poll of a failing backend ends
      // without the test moving time for it (hurryUntil moves this clock with the hub's).
      const clock = createManualClock();
      stack = await startStack({ clock, statusClock: clock, upstreamClock, phaseMs: 3_600_000, healthTtlMs: 50, config: { status: { pollIntervalMs: POLL_MS } } });
      all = dataOf(await stack.gql('{ modelDeployments(first: 500) { edges { node { id vendor name status } } } }')).modelDeployments.edges.map((e: any) => e.node);
    });
    afterAll(async () => {
      await leave();
      await stack?.close();
    });

    /**
     * The page the tests that need no fresh one share: loaded by the first test that runs, kept,
     * and left by each test as it found it (no dialog, no filter, the default size, scrolled to the
     * top). A test that loads the page afresh leaves that load for the tests after it.
     */
    let current: Promise<Visit> | undefined;
    const shared = () => (current ??= visit(stack, '/board'));
    async function tidy(page: Page) {
      if ((await page.getByRole('dialog').count()) > 0) await page.keyboard.press('Escape');
      await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
      await page.setViewportSize({ width: 1400, height: 900 });
      await page.locator('.table-scroll').evaluate((el) => (el.scrollTop = 0));
      await page.mouse.move(0, 0);
    }

    it('lists the deployments of all three vendors, live, loading nothing from outside the origin', async () => {
      const { page, foreign, requests, streams } = await shared();
      expect(new Set(all.map((d) => d.vendor))).toEqual(new Set(['northflank', 'nemo', 'zstack']));
      await expect.poll(() => page.locator('tbody tr[data-id]').count()).toBeGreaterThan(0);
      for (const vendor of ['northflank', 'nemo', 'zstack']) {
        const one = all.find((d) => d.vendor === vendor)!;
        await expect.poll(() => row(page, one.id).locator('td.name').textContent()).toBe(one.name);
        await expect.poll(() => page.locator(`article.card[data-backend="${vendor}"]`).getAttribute('data-state')).toBe('available');
      }
      await expect.poll(() => page.getByRole('status').textContent()).toContain('Live');
      expect(requests.some((u) => u.endsWith('/graphql'))).toBe(true);
      // One subscription for the whole page, and no polling beside it.
      expect(streams()).toBe(1);
      expect(foreign).toEqual([]);
    });

    it('a simulator status change appears on its row within 2 s, without reload (and docs/board.png is taken)', async () => {
      const { page, foreign } = await shared();
      let loads = 0;
      const onLoad = () => loads++;
      try {
        const nf = all.find((d) => d.vendor === 'northflank' && d.status !== 'FAILED')!;
        await expect.poll(() => row(page, nf.id).getAttribute('data-status')).toBe(nf.status);
        await expect.poll(() => page.getByRole('status').textContent()).toContain('Live');
        page.on('load', onLoad);
        // Within 2 s on the hub's clock, moved here by the test a poll interval at a time: the
        // change is read within that bound, and the page then shows it without the clock moving
        // (the machine's speed sets only how long the test waits, never whether it passes). The
        // hub has read the backend once before the change: its first read is the baseline.
        const hub = stack.gateway.runtime.hub!;
        await pollRounds(hub, stack.clock, { northflank: 1 }, POLL_MS * 1.1);
        const changedAt = stack.clock.now();
        stack.sims.northflank!.setStatus(nf.id.slice('northflank:'.length), 'crashed');
        await pollRounds(hub, stack.clock, { northflank: 1 }, POLL_MS * 1.1);
        expect(stack.clock.now() - changedAt).toBeLessThanOrEqual(VISIBLE_MS);
        await expect.poll(() => row(page, nf.id).getAttribute('data-status')).toBe('FAILED');
        await expect(row(page, nf.id).locator('.chip').textContent()).resolves.toContain('crashed');
        // In the live feed, and in the drawer's transitions seen.
        await expect.poll(() => page.locator('.feed-list li.feed-change').first().textContent()).toContain(nf.name);
        // The README's picture: three vendors, one transition in the feed.
        mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
        await page.setViewportSize({ width: 1400, height: 1120 });
        await expect.poll(() => page.locator('tbody tr[data-id] .v-zstack').count()).toBeGreaterThanOrEqual(5);
        await page.screenshot({ path: SCREENSHOT });
        await row(page, nf.id).click();
        await expect.poll(() => page.locator('ol.seen li').first().textContent()).toContain('FAILED');
        expect(loads).toBe(0);
        expect(foreign).toEqual([]);
      } finally {
        page.off('load', onLoad);
        await tidy(page);
      }
    });

    it('a stream that fails is subscribed again, and the page fills in', async () => {
      const { page, context, foreign, streams } = await (current = visit(stack, '/board', { failStreams: 1, clock: true }));
      try {
        await expect.poll(() => page.getByRole('status').textContent()).toMatch(/Live|reconnecting|Reconnecting/);
        // The page's pause before it subscribes again (a second after a first failure), passed at once.
        await page.clock.fastForward(1000);
        await expect.poll(() => page.locator('tbody tr[data-id]').count()).toBeGreaterThan(0);
        await expect.poll(() => page.getByRole('status').textContent()).toContain('Live');
        expect(streams()).toBe(2);
        expect(foreign).toEqual([]);
      } finally {
        // The tests after this one keep the page: its subscriptions are let through untouched.
        await context.unroute(`${origin(stack)}/graphql`);
        await tidy(page);
      }
    });

    it('switches between light and dark themes from the keyboard', async () => {
      const { page } = await shared();
      try {
        const toggle = page.getByRole('button', { name: /Switch to the dark theme/ });
        await toggle.focus();
        await page.keyboard.press('Enter');
        await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
        const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        await page.getByRole('button', { name: /Switch to the light theme/ }).click();
        await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
        expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe(bg);
      } finally {
        await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
        await tidy(page);
      }
    });

    it('a stopped simulator marks its backend card and rows unavailable; both recover when it returns', async () => {
      const { page, foreign } = await shared();
      try {
        const zs = all.filter((d) => d.vendor === 'zstack');
        const other = all.find((d) => d.vendor === 'nemo')!;
        await expect.poll(() => row(page, zs[0]!.id).count()).toBe(1);
        await expect.poll(() => page.getByRole('status').textContent()).toContain('Live');
        const card = page.locator('article.card[data-backend="zstack"]');
        // Every connection to the simulator is cut, as when its process is gone.
        stack.sims.zstack!.server.inject({ kind: 'reset' });
        // The hub's next poll finds it gone.
        await hurryUntil(stack, upstreamClock, () => card.getAttribute('data-state'), 'unavailable', POLL_MS);
        for (const d of zs) await expect.poll(() => row(page, d.id).getAttribute('data-unavailable')).toBe('true');
        expect(await row(page, other.id).getAttribute('data-unavailable')).toBeNull();
        await expect(card.textContent()).resolves.toContain('Unavailable');
        stack.sims.zstack!.server.clearFaults();
        // The hub's backed-off retry of the backend, now rather than after its wait.
        await hurryUntil(stack, upstreamClock, () => card.getAttribute('data-state'), 'available', POLL_MS);
        for (const d of zs) await expect.poll(() => row(page, d.id).getAttribute('data-unavailable')).toBeNull();
        await expect.poll(() => page.locator('.feed-list li.feed-up').count()).toBeGreaterThan(0);
        expect(foreign).toEqual([]);
      } finally {
        stack.sims.zstack!.server.clearFaults();
        await tidy(page);
      }
    }, 60_000);

    it('filters change the URL and the rows; the URL restores them', async () => {
      const { page, foreign } = await shared();
      try {
        await expect.poll(() => page.locator('tbody tr[data-id]').count()).toBeGreaterThan(0);
        expect(new URL(page.url()).search).toBe('');
        await page.getByLabel('Vendor').selectOption('nemo');
        await expect.poll(() => new URL(page.url()).searchParams.get('vendor')).toBe('nemo');
        const vendorsShown = async () => new Set(await page.locator('tbody tr[data-id] .vendor').allTextContents());
        await expect.poll(vendorsShown).toEqual(new Set(['nemo']));
        const nemo = all.filter((d) => d.vendor === 'nemo');
        await expect.poll(() => page.locator('tbody tr[data-id]').count()).toBe(nemo.length);

        const target = nemo[0]!;
        await page.getByLabel('Search').fill(target.name);
        await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe(target.name);
        await expect.poll(() => page.locator('tbody tr[data-id]').count()).toBe(nemo.filter((d) => d.name.toLowerCase().includes(target.name.toLowerCase())).length);
        expect(await row(page, target.id).count()).toBe(1);

        await page.getByLabel('Vendor').selectOption('');
        await page.getByLabel('Search').fill('');
        await page.getByLabel('Status').selectOption('READY');
        await expect.poll(() => new URL(page.url()).searchParams.get('status')).toBe('READY');
        expect(new URL(page.url()).searchParams.has('vendor')).toBe(false);
        const ready = all.filter((d) => d.status === 'READY');
        await expect.poll(async () => new Set(await page.locator('tbody tr[data-id]').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-status'))))).toEqual(new Set(['READY']));
        expect(ready.length).toBeGreaterThan(0);

        // A shared link shows the same view (loaded afresh in this tab).
        await page.goto(`${origin(stack)}/board?vendor=zstack&backend=zstack`);
        await expect.poll(async () => new Set(await page.locator('tbody tr[data-id] .vendor').allTextContents())).toEqual(new Set(['zstack']));
        expect(await page.getByLabel('Vendor').inputValue()).toBe('zstack');
        expect(foreign).toEqual([]);
      } finally {
        const clear = page.getByRole('button', { name: 'Clear filters' });
        if ((await clear.count()) > 0) await clear.click();
        await expect.poll(() => new URL(page.url()).search).toBe('');
        await tidy(page);
      }
    });

    it('an edit shows the dry run with the exact vendor request, and applying it updates the row', async () => {
      const { page, foreign } = await shared();
      try {
        const zs = all.find((d) => d.vendor === 'zstack')!;
        await expect.poll(() => row(page, zs.id).count()).toBe(1);
        // Keyboard: focus the row, Enter opens the drawer.
        await row(page, zs.id).focus();
        await page.keyboard.press('Enter');
        const drawer = page.getByRole('dialog');
        await expect.poll(() => drawer.getByRole('heading', { level: 2 }).textContent()).toBe(zs.name);
        await expect.poll(() => drawer.textContent()).toContain('ZStack model fields');
        const newName = `${zs.name}-renamed`;
        await drawer.getByLabel('Name').fill(newName);
        const callsBefore = stack.sims.zstack!.server.calls.length;
        await drawer.getByRole('button', { name: 'Dry run' }).click();
        await expect.poll(() => drawer.locator('.plan').count()).toBe(1);
        const shownLine = (await drawer.locator('.plan .req-line').first().textContent())!.trim();
        const shownBody = JSON.parse((await drawer.locator('.plan .req-body').first().textContent())!);
        expect(await drawer.locator('.plan table.diff').textContent()).toContain(newName);
        // Nothing was written by the dry run; the row still has the old name.
        expect(stack.sims.zstack!.server.calls.slice(callsBefore).filter((c) => c.method !== 'GET' && !c.path.includes('/sessions'))).toEqual([]);
        expect(await row(page, zs.id).locator('td.name').textContent()).toBe(zs.name);

        await drawer.getByRole('button', { name: 'Apply' }).click();
        await expect.poll(() => drawer.locator('.result h4').textContent()).toBe('Applied');
        await expect.poll(() => row(page, zs.id).locator('td.name').textContent()).toBe(newName);
        // The request the dry run showed is the one the vendor received.
        const writes = stack.sims.zstack!.server.calls.slice(callsBefore).filter((c) => c.method !== 'GET' && !c.path.includes('/sessions'));
        expect(writes).toHaveLength(1);
        const [method, shownPath] = shownLine.split(' ');
        expect(writes[0]!.method).toBe(method);
        expect(shownPath!.split('?')[0]).toBe(writes[0]!.path);
        expect(writes[0]!.body).toEqual(shownBody);
        expect(foreign).toEqual([]);
      } finally {
        await tidy(page);
      }
    });

    describe('typed results', () => {
      it('a refused edit shows its validation issue on the field, and nothing is sent', async () => {
        const { page, foreign } = await shared();
        try {
          await page.locator('tbody tr[data-id^="zstack:"]').first().click();
          const drawer = page.getByRole('dialog');
          await drawer.getByLabel('Name').fill('');
          const writes = () => stack.sims.zstack!.server.calls.filter((c) => c.method !== 'GET' && !c.path.includes('/sessions')).length;
          const before = writes();
          await drawer.getByRole('button', { name: 'Dry run' }).click();
          await expect.poll(() => drawer.locator('.result h4').textContent()).toBe('Refused: validation');
          const name = drawer.getByLabel('Name');
          expect(await name.getAttribute('aria-invalid')).toBe('true');
          const described = (await name.getAttribute('aria-describedby'))!;
          expect(await drawer.locator(`#${described}`).textContent()).toMatch(/^name: /);
          expect(await drawer.getByRole('button', { name: 'Apply' }).count()).toBe(0);
          expect(writes()).toBe(before);
          // Tab stays inside the open dialog.
          for (let i = 0; i < 30; i++) await page.keyboard.press('Tab');
          expect(await page.evaluate(() => Boolean(document.activeElement?.closest('[role="dialog"]')))).toBe(true);
          expect(foreign).toEqual([]);
        } finally {
          await tidy(page);
        }
      });
    });

    it('a backend that is down when the page opens: its card says so, the others show, and its rows come when it returns', async () => {
      const zs = all.filter((d) => d.vendor === 'zstack');
      // No page is open; the hub watches nothing, so the page's subscription is the first to ask for the backend.
      await leave();
      const hub = stack.gateway.runtime.hub!;
      await expect.poll(() => Object.values(hub.stats()).every((b) => b.watches === 0)).toBe(true);
      stack.sims.zstack!.server.inject({ kind: 'reset' });
      try {
        const { page, foreign, streams } = await (current = visit(stack, '/board'));
        const card = page.locator('article.card[data-backend="zstack"]');
        await hurryUntil(stack, upstreamClock, () => card.getAttribute('data-state'), 'unavailable', POLL_MS);
        await expect.poll(() => page.locator('tbody tr[data-id]').count()).toBeGreaterThan(0);
        expect(await row(page, zs[0]!.id).count()).toBe(0);
        stack.sims.zstack!.server.clearFaults();
        // The hub's backed-off retry of the backend, now rather than after its wait.
        await hurryUntil(stack, upstreamClock, () => card.getAttribute('data-state'), 'available', POLL_MS);
        for (const d of zs) await expect.poll(() => row(page, d.id).count()).toBe(1);
        expect(streams()).toBe(1);
        expect(foreign).toEqual([]);
      } finally {
        stack.sims.zstack!.server.clearFaults();
      }
    }, 60_000);
  });

  describe('2,000 deployments', () => {
    let stack: Stack;
    const N = 2000;
    beforeAll(async () => {
      // Everything on the stack's manual clock, which nothing moves: the page needs the hub's first
      // read only (it comes when the subscription starts), not a later poll.
      const clock = createManualClock();
      stack = await startStack({ vendors: ['zstack'], clock, statusClock: clock, phaseMs: 3_600_000, config: { status: { pollIntervalMs: 1000 } } });
      const sim = stack.sims.zstack!;
      const have = dataOf(await stack.gql('{ modelDeployments(first: 0) { totalCount } }')).modelDeployments.totalCount as number;
      for (let i = have; i < N; i++) {
        const uuid = (i.toString(16).padStart(8, '0') + 'b0a4d0000000000000000000').slice(0, 32);
        sim.addModel({ uuid, name: `bulk-model-${String(i).padStart(4, '0')}`, description: 'generated', version: '1.0.0' }, { userTags: [i % 2 ? 'odd' : 'even'] });
      }
    }, 60_000);
    afterAll(async () => {
      await leave();
      await stack?.close();
    });

    it('shows them all through one subscription with a bounded number of rows in the page; the keyboard reaches the last one', async () => {
      const { page, foreign, streams } = await visit(stack, '/board?tag=odd');
      await expect.poll(() => page.locator('#deployments-h .count').textContent()).toMatch(/of 2000$/);
      await page.getByLabel('Tag').selectOption('');
      await expect.poll(() => page.locator('#deployments-h .count').textContent()).toBe(String(N));
      // Virtualized: a screenful of rows (plus a few) is in the DOM, not 2,000.
      const inDom = await page.locator('tbody tr[data-id]').count();
      expect(inDom).toBeGreaterThan(5);
      expect(inDom).toBeLessThan(80);
      await page.locator('tbody tr[data-id]').first().focus();
      await page.keyboard.press('End');
      await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-rowindex'))).toBe(String(N + 1));
      await expect.poll(() => page.locator('tbody tr[data-id]').count()).toBeLessThan(80);
      expect(streams()).toBe(1);
      expect(foreign).toEqual([]);
    }, 90_000);
  });

  it('`npm start` (demo mode) prints the board URL, and the board there shows the three vendors', async () => {
    // Started with the browser (beforeAll above).
    const { child, out } = demo!;
    try {
      await expect.poll(() => /Status board: open (\S+) in a browser/.exec(out())?.[1], { timeout: 60_000, interval: 100 }).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const url = new URL(/Status board: open (\S+) in a browser/.exec(out())![1]!);
      const { page } = await visit(url.origin, url.pathname);
      await expect.poll(async () => new Set(await page.locator('article.card').evaluateAll((cs) => cs.map((c) => c.getAttribute('data-backend'))))).toEqual(new Set(['northflank', 'nemo', 'zstack']));
      await expect.poll(() => page.locator('tbody tr[data-id]').count()).toBeGreaterThan(0);
    } finally {
      await leave();
      await stopChild(child);
    }
  }, 90_000);

  describe('keyed gateway', () => {
    const READ_KEY = 'board-read-key-0123456789';
    const WRITE_KEY = 'board-write-key-0123456789';
    let stack: Stack;
    beforeAll(async () => {
      // Everything on the stack's manual clock, which nothing moves: signing in and the edit form
      // need no poll of the hub after its first read.
      const clock = createManualClock();
      stack = await startStack({
        vendors: ['northflank'],
        clock,
        statusClock: clock,
        phaseMs: 3_600_000,
        config: {
          status: { pollIntervalMs: 200 },
          auth: {
            apiKeys: [
              { name: 'watcher', key: READ_KEY, scopes: ['read'] },
              { name: 'operator', key: WRITE_KEY, scopes: ['read', 'write'] },
            ],
          },
        },
      });
    });
    afterAll(async () => {
      await leave();
      await stack?.close();
    });

    /** One page for both tests: the second signs in where the first left off, after forgetting its key. */
    let current: Promise<Visit> | undefined;
    async function signIn(key: string) {
      const opened = await (current ??= visit(stack, '/board'));
      const { page } = opened;
      const forget = page.getByRole('button', { name: 'Forget key' });
      if ((await forget.count()) > 0) await forget.click();
      await page.getByLabel('API key').fill(key);
      await page.getByRole('button', { name: 'Open the board' }).click();
      await expect.poll(() => page.locator('tbody tr[data-id]').count()).toBeGreaterThan(0);
      return opened;
    }

    it('asks for a key, keeps it in session storage, sends it as a bearer header; a read key gets no write controls', async () => {
      const { page, context, foreign } = await signIn(READ_KEY);
      const auth: string[] = [];
      const onRequest = (r: Request) => {
        const h = r.headers().authorization;
        if (h) auth.push(h);
      };
      try {
        page.on('request', onRequest);
        expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(READ_KEY);
        expect(await context.cookies()).toEqual([]);
        expect(await page.locator('.who').textContent()).toContain('watcher');
        await page.locator('tbody tr[data-id]').first().click();
        const drawer = page.getByRole('dialog');
        await expect.poll(() => drawer.textContent()).toContain('Northflank configuration');
        expect(await drawer.getByRole('heading', { name: 'Edit' }).count()).toBe(0);
        expect(await drawer.getByRole('button', { name: 'Dry run' }).count()).toBe(0);
        expect(await drawer.locator('form, input, textarea').count()).toBe(0);
        // A reload keeps the key (same tab) and sends it.
        await page.reload();
        await expect.poll(() => page.locator('tbody tr[data-id]').count()).toBeGreaterThan(0);
        expect(auth.length).toBeGreaterThan(0);
        expect(new Set(auth)).toEqual(new Set([`Bearer ${READ_KEY}`]));
        expect(foreign).toEqual([]);
      } finally {
        page.off('request', onRequest);
      }
    });

    it('a write key gets the edit form; a wrong key is refused', async () => {
      const { page, foreign } = await signIn(WRITE_KEY);
      expect(await page.locator('.who').textContent()).toContain('operator');
      await page.locator('tbody tr[data-id]').first().click();
      const drawer = page.getByRole('dialog');
      await expect.poll(() => drawer.getByRole('button', { name: 'Dry run' }).count()).toBe(1);
      await page.keyboard.press('Escape');
      await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
      await page.getByRole('button', { name: 'Forget key' }).click();
      await page.getByLabel('API key').fill('not-a-key-of-this-gateway');
      await page.getByRole('button', { name: 'Open the board' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('refused');
      expect(foreign).toEqual([]);
    });
  });
});
