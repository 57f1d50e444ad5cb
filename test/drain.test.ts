/**
 * Graceful shutdown of the real binary: SIGTERM while a write is in flight (held by the simulator
 * until the test lets it go). The write's caller gets its result, SSE subscribers (GET and POST) get `complete`, a WebSocket is
 * closed with 1001, new connections are refused during the drain, and the process exits 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createNorthflankSimulator, type NorthflankSimulator } from '../adapters/northflank/simulator.js';
import { eventually, orAfter, until, watchSimulator } from './helpers.js';
import { capture } from './secret-capture.js';

import { bin } from './binary.js';
const ID = 'northflank:default-project/deepseek-v3-deployment';
/** Real processes on a busy machine: generous bounds, never a timing assertion. */
const START_MS = 30_000;
/** How long a real socket or process event may take to show: a guard against a hang, never a pace. */
const EVENT_MS = 30_000;

/** Waits until a real process prints its listening line (or exits); its URL, or an error with what it printed. */
async function listening(proc: ChildProcess, output: () => string): Promise<string> {
  const line = () => /model-gateway is listening on (http:\/\/\S+)/.exec(output());
  await until('serve to start', () => line() !== null || proc.exitCode !== null, START_MS).catch((err: Error) => {
    throw new Error(`serve did not start (${err.message}):\n${output()}`);
  });
  const m = line();
  if (!m) throw new Error(`serve exited (${proc.exitCode}) before it listened:\n${output()}`);
  return m[1]!;
}

describe('SIGTERM drains the real binary', () => {
  let sim: NorthflankSimulator;
  let proc: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;
  let url: string;

  beforeAll(async () => {
    sim = await createNorthflankSimulator({ token: 'nf-drain-test-token-7c1d9e20' });
    watchSimulator(sim);
    const dir = mkdtempSync(join(tmpdir(), 'mg-drain-'));
    const file = join(dir, 'gateway.json');
    const { token: _t, ...backend } = sim.backendConfig;
    writeFileSync(file, JSON.stringify({ backends: [{ id: 'northflank', ...backend, token: '${NF_TOKEN}' }], server: { drainTimeoutMs: 25_000 }, status: { pollIntervalMs: 200 }, logging: { level: 'info' } }));
    const { MODEL_GATEWAY_CONFIG: _c, PORT: _p, HOST: _h, ...env } = process.env;
    proc = spawn(process.execPath, [bin, 'serve', '--config', file, '--port', '0'], { env: { ...env, NF_TOKEN: sim.token }, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    proc.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    exited = new Promise((resolve) =>
      proc.on('close', (code) => {
        capture('CLI output', 'model-gateway serve (drain test)')(output);
        resolve(code);
      }),
    );
    url = await listening(proc, () => output);
  }, START_MS + 5000);
  afterAll(async () => {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    await sim?.close();
  });

  it('answers the write in flight, completes SSE streams, closes WebSockets with 1001, refuses new connections, exits 0', async () => {
    // An SSE subscriber, reading until `complete`.
    const params = new URLSearchParams({ query: `subscription { modelDeploymentStatusChanged(ids: ["${ID}"], emitCurrent: true) { __typename } }` });
    const sse = await fetch(`${url}?${params}`, { headers: { accept: 'text/event-stream' } });
    expect(sse.status).toBe(200);
    let sseText = '';
    const sseDone = (async () => {
      const decoder = new TextDecoder();
      const reader = sse.body!.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        sseText += decoder.decode(value, { stream: true });
      }
    })();
    // The same over POST (the fast lane, whose streams are read as their feeds fill).
    const posted = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: `subscription { modelDeploymentStatusChanged(ids: ["${ID}"], emitCurrent: true) { __typename } }` }),
    });
    expect(posted.status).toBe(200);
    let postedText = '';
    const postedDone = (async () => {
      const decoder = new TextDecoder();
      const reader = posted.body!.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        postedText += decoder.decode(value, { stream: true });
      }
    })();
    // A WebSocket with a live subscription.
    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const wsMessages: any[] = [];
    const wsClosed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    socket.on('message', (m) => wsMessages.push(JSON.parse(m.toString())));
    await new Promise((r) => socket.once('open', r));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await until('the WebSocket connection_ack', () => wsMessages.some((m) => m.type === 'connection_ack'), EVENT_MS);
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `subscription { modelDeploymentStatusChanged(ids: ["${ID}"], emitCurrent: true) { __typename } }` } }));
    await until(
      'the SSE (GET and POST) and WebSocket subscriptions to start',
      () => sseText.includes('event: next') && postedText.includes('event: next') && wsMessages.some((m) => m.type === 'next'),
      EVENT_MS,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${sseText} ${postedText} ${JSON.stringify(wsMessages)}`);
    });

    // A write, in flight when the signal arrives: the simulator holds it until the test lets it go.
    let releaseWrite!: () => void;
    const writeHeld = new Promise<void>((resolve) => (releaseWrite = resolve));
    sim.server.inject({ fault: { kind: 'gate', until: () => writeHeld }, method: 'POST', times: 1 });
    const writesBefore = sim.server.calls.filter((c) => c.method === 'POST').length;
    let answered = false;
    const write = fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `mutation { updateModelDeployment(input: {id: "${ID}", description: "drained"}) { __typename ... on UpdateModelDeploymentSuccess { deployment { description } } } }` }),
    }).finally(() => (answered = true));
    await until('the simulator to receive the write', () => sim.server.calls.filter((c) => c.method === 'POST').length > writesBefore, EVENT_MS);
    proc.kill('SIGTERM');

    // New connections are refused while the write is still running: once the drain has begun
    // (its log line is written just before the listener closes), a connection is refused.
    await until('the drain to begin', () => /draining/.test(output) || proc.exitCode !== null, EVENT_MS);
    // Resolves only once a connection is refused (it throws when none is within EVENT_MS).
    await eventually(
      'a new connection to be refused',
      () =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' }, body: '{"query":"{ __typename }"}' }).then(
          () => false,
          (err) => /ECONNREFUSED/.test(String((err as { cause?: unknown }).cause ?? err)),
        ),
      EVENT_MS,
    );
    expect(answered).toBe(false);
    expect(proc.exitCode).toBeNull();
    releaseWrite();

    const res = await write;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { updateModelDeployment: { __typename: 'UpdateModelDeploymentSuccess', deployment: { description: 'drained' } } } });
    await sseDone;
    expect(sseText).toMatch(/event: complete\n/);
    await postedDone;
    expect(postedText).toMatch(/event: next\n[^]*event: complete\ndata:\n\n$/);
    expect(await wsClosed).toBe(1001);
    expect(wsMessages.at(-1)).toEqual({ id: '1', type: 'complete' });
    expect(await exited).toBe(0);
    expect(output).toMatch(/draining/);
  }, 60_000);
});

describe('a drain that cannot finish', () => {
  let sim: NorthflankSimulator;
  beforeAll(async () => {
    sim = await createNorthflankSimulator({ token: 'nf-drain-test-token-3a8b7f41' });
    watchSimulator(sim);
  });
  afterAll(() => sim?.close());

  /** Starts `serve` with this drain timeout; resolves its URL, its exit and its output. */
  async function serve(label: string, drainTimeoutMs: number) {
    const dir = mkdtempSync(join(tmpdir(), 'mg-drain-'));
    const file = join(dir, 'gateway.json');
    const { token: _t, ...backend } = sim.backendConfig;
    // The upstream deadline is far off: the process must not wait for a hanging call to time out.
    writeFileSync(file, JSON.stringify({ backends: [{ id: 'northflank', ...backend, token: '${NF_TOKEN}', timeoutMs: 600_000 }], server: { drainTimeoutMs }, logging: { level: 'info' } }));
    const { MODEL_GATEWAY_CONFIG: _c, PORT: _p, HOST: _h, ...env } = process.env;
    const proc = spawn(process.execPath, [bin, 'serve', '--config', file, '--port', '0'], { env: { ...env, NF_TOKEN: sim.token }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    proc.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    const exited = new Promise<number | null>((resolve) =>
      proc.on('close', (code) => {
        capture('CLI output', label)(output);
        resolve(code);
      }),
    );
    try {
      return { proc, url: await listening(proc, () => output), exited, output: () => output };
    } catch (err) {
      proc.kill('SIGKILL');
      throw err;
    }
  }

  /** Sends a write the simulator never answers; resolves once the simulator has it. */
  async function hangingWrite(url: string) {
    sim.server.inject({ fault: { kind: 'hang' }, method: 'POST', times: 1 });
    const before = sim.server.calls.filter((c) => c.method === 'POST').length;
    const write = fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `mutation { updateModelDeployment(input: {id: "${ID}", description: "stuck"}) { __typename } }` }),
    }).then(
      (r) => `answered ${r.status}`,
      () => 'cut',
    );
    await until('the simulator to receive the write', () => sim.server.calls.filter((c) => c.method === 'POST').length > before, EVENT_MS);
    return { write };
  }

  it('is cut after server.drainTimeoutMs, and the exit code says so; the call still in flight upstream does not hold the process', async () => {
    const s = await serve('model-gateway serve (drain timeout)', 1500);
    try {
      const { write } = await hangingWrite(s.url);
      s.proc.kill('SIGTERM');
      // Well before the upstream call's 10-minute deadline (a guard against a hang, not a pace).
      expect(await orAfter(s.exited, 20_000, 'still running')).toBe(1);
      expect(await write).toBe('cut');
      expect(s.output()).toMatch(/drain timed out/);
    } finally {
      if (s.proc.exitCode === null) s.proc.kill('SIGKILL');
    }
  }, START_MS + 30_000);

  it('ends at once on a second signal', async () => {
    const s = await serve('model-gateway serve (second signal)', 60_000);
    try {
      await hangingWrite(s.url);
      s.proc.kill('SIGTERM');
      // The first signal began a drain that cannot finish: the process waits on it.
      await until('the drain to begin', () => /draining/.test(s.output()) || s.proc.exitCode !== null, EVENT_MS);
      expect(s.proc.exitCode).toBeNull();
      s.proc.kill('SIGINT');
      // Well before the 60 s drain timeout (a guard against a hang, not a pace).
      const code = await orAfter(s.exited, 20_000, 'still running');
      expect(code).toBe(1);
      expect(s.output()).toMatch(/second signal/);
    } finally {
      if (s.proc.exitCode === null) s.proc.kill('SIGKILL');
    }
  }, START_MS + 30_000);
});
