/**
 * GraphiQL in a real headless Chromium (playwright-core driving Debian's chromium): the page and
 * every file it loads come from the gateway; a query shows its result; a subscription streams.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { chromium as playwright, type Browser } from 'playwright-core';
import { startStack, type Stack } from './helpers.js';
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
  beforeAll(async () => {
    toy = await createToySimulator();
    stack = await startStack({ vendors: [], extraSims: { toybox: toy }, config: { adapters: [toyModule], status: { pollIntervalMs: 40 } } });
    browser = await playwright.launch({
      executablePath: chromium.command,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  /** Opens GraphiQL with `query` in its editor (GraphiQL reads its last query from localStorage). */
  async function open(query: string) {
    const context = await browser.newContext();
    const requests: string[] = [];
    const problems: string[] = [];
    context.on('request', (r) => requests.push(r.url()));
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    await page.addInitScript((q) => localStorage.setItem('graphiql:query', q), query);
    await page.goto(stack.url);
    await page.waitForSelector('.graphiql-execute-button', { timeout: 60_000 });
    // Monaco renders spaces as no-break spaces.
    const response = async () => (await page.locator('.graphiql-response').innerText()).replace(/\u00a0/g, ' ');
    const waitForResponse = async (pred: (text: string) => boolean, what: string) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const text = await response();
        if (pred(text)) return text;
        if (Date.now() > deadline) throw new Error(`GraphiQL showed no ${what}; it shows: ${text}`);
        await page.waitForTimeout(100);
      }
    };
    return { context, page, requests, problems, waitForResponse };
  }

  const ownOrigin = (requests: string[]) => requests.filter((u) => !u.startsWith(new URL(stack.url).origin) && !/^(data|blob):/.test(u));

  it('runs a query and shows its result, loading nothing from another origin', async () => {
    const g = await open('{ backends { id vendor } }');
    try {
      await g.page.click('.graphiql-execute-button');
      const text = await g.waitForResponse((t) => t.includes('"backends"'), 'query result');
      expect(JSON.parse(text)).toEqual({ data: { backends: [{ id: 'toybox', vendor: 'toy' }] } });
      expect(ownOrigin(g.requests)).toEqual([]);
      expect(g.requests.some((u) => u.includes('/graphiql/'))).toBe(true);
      expect(g.problems).toEqual([]);
    } finally {
      await g.context.close();
    }
  }, 120_000);

  it('streams a subscription: the present state, then a transition', async () => {
    const g = await open(SUBSCRIPTION);
    try {
      await g.page.click('.graphiql-execute-button');
      // GraphiQL subscribes with a plain GET (EventSource-style): no CSRF header, none needed.
      const first = await g.waitForResponse((t) => t.includes('"initial": true'), 'first subscription event');
      expect(first).toContain('"current": "READY"');
      let state: 'up' | 'down' = 'down';
      const deadline = Date.now() + 30_000;
      for (;;) {
        const text = (await g.page.locator('.graphiql-response').innerText()).replace(/\u00a0/g, ' ');
        if (text.includes('"initial": false')) break;
        if (Date.now() > deadline) throw new Error(`no second event; GraphiQL shows: ${text}`);
        toy.setState('alpha', state);
        state = state === 'down' ? 'up' : 'down';
        await g.page.waitForTimeout(200);
      }
      expect(g.requests.some((u) => new URL(u).searchParams.get('query')?.startsWith('subscription'))).toBe(true);
      expect(ownOrigin(g.requests)).toEqual([]);
      expect(g.problems).toEqual([]);
    } finally {
      toy.setState('alpha', 'up');
      await g.context.close();
    }
  }, 120_000);
});
