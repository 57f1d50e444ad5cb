/**
 * GraphiQL in a real headless Chromium (playwright-core driving Debian's chromium): the page and
 * every file it loads come from the gateway; a query shows its result; a subscription streams.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { chromium as playwright, type Browser, type BrowserContext } from 'playwright-core';
import { polled, startStack, type Stack } from './helpers.js';
import { createToySimulator } from './fixtures/toy/simulator.js';
import { chromium, requireService } from './services.js';

const toyModule = fileURLToPath(new URL('./fixtures/toy/adapter.ts', import.meta.url));
const haveChromium = requireService(chromium, 'the GraphiQL browser test');

const SUBSCRIPTION = `subscription {
  modelDeploymentStatusChanged(ids: ["toybox:alpha"], emitCurrent: true) {
    ... on ModelDeploymentStatusTransition { current initial deployment { id } }
  }
}`;

describe.skipIf(!haveChromium)('GraphiQL in headless Chromium', () => {
  let stack: Stack;
  let toy: Awaited<ReturnType<typeof createToySimulator>>;
  let browser: Browser;
  /**
   * One browser context for both tests: the second loads GraphiQL's bundle (some 9 MB) from the
   * context's cache instead of over the wire again. Each test has a page of its own.
   */
  let context: BrowserContext;
  beforeAll(async () => {
    toy = await createToySimulator();
    stack = await startStack({ vendors: [], extraSims: { toybox: toy }, config: { adapters: [toyModule], status: { pollIntervalMs: 40 } } });
    browser = await playwright.launch({
      executablePath: chromium.command,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context = await browser.newContext();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  /** Opens GraphiQL with `query` in its editor (GraphiQL reads its last query from localStorage). */
  async function open(query: string) {
    const requests: string[] = [];
    const problems: string[] = [];
    const page = await context.newPage();
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    // Nothing a page before this one left in the context's storage (GraphiQL keeps its tabs there).
    await page.addInitScript((q) => (localStorage.clear(), localStorage.setItem('graphiql:query', q)), query);
    await page.goto(stack.url);
    await page.waitForSelector('.graphiql-execute-button', { timeout: 60_000 });
    // Monaco renders spaces as no-break spaces.
    const response = async () => (await page.locator('.graphiql-response').innerText()).replace(/\u00a0/g, ' ');
    /** Waits (checking on every frame the page paints) until the response pane shows `text`; the timeout guards against a hang. */
    const waitForResponse = async (text: string, what: string) => {
      try {
        await page.waitForFunction(
          (t) => (document.querySelector<HTMLElement>('.graphiql-response')?.innerText ?? '').replace(/\u00a0/g, ' ').includes(t),
          text,
          { polling: 'raf', timeout: 30_000 },
        );
      } catch (err) {
        throw new Error(`GraphiQL showed no ${what}; it shows: ${await response().catch(() => '(nothing)')}`, { cause: err });
      }
      return response();
    };
    return { page, requests, problems, waitForResponse };
  }

  const ownOrigin = (requests: string[]) => requests.filter((u) => !u.startsWith(new URL(stack.url).origin) && !/^(data|blob):/.test(u));

  it('runs a query and shows its result, loading nothing from another origin', async () => {
    const g = await open('{ backends { id vendor } }');
    try {
      await g.page.click('.graphiql-execute-button');
      const text = await g.waitForResponse('"backends"', 'query result');
      expect(JSON.parse(text)).toEqual({ data: { backends: [{ id: 'toybox', vendor: 'toy' }] } });
      expect(ownOrigin(g.requests)).toEqual([]);
      expect(g.requests.some((u) => u.includes('/graphiql/'))).toBe(true);
      expect(g.problems).toEqual([]);
    } finally {
      await g.page.close();
    }
  }, 120_000);

  it('streams a subscription: the present state, then a transition', async () => {
    const g = await open(SUBSCRIPTION);
    try {
      await g.page.click('.graphiql-execute-button');
      // GraphiQL subscribes with a plain GET (EventSource-style): no CSRF header, none needed.
      const first = await g.waitForResponse('"initial": true', 'first subscription event');
      expect(first).toContain('"current": "READY"');
      // A change after the hub has its baseline for the watch: a poll that ended once the present
      // state was shown began after the subscription did. The next poll sees the change.
      const hub = stack.gateway.runtime.hub!;
      const ended = polled(hub, 'toybox');
      await expect.poll(() => polled(hub, 'toybox')).toBeGreaterThan(ended);
      toy.setState('alpha', 'down');
      await g.waitForResponse('"initial": false', 'second subscription event');
      expect(g.requests.some((u) => new URL(u).searchParams.get('query')?.startsWith('subscription'))).toBe(true);
      expect(ownOrigin(g.requests)).toEqual([]);
      expect(g.problems).toEqual([]);
    } finally {
      toy.setState('alpha', 'up');
      await g.page.close();
    }
  }, 120_000);
});
