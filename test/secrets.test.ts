/**
 * No configured secret — vendor tokens, the ZStack password, its SHA-512, ZStack sessions, our
 * API keys — in any log line (at trace level) or any answer of a representative workload: reads,
 * updates, faults (vendors echoing our credentials included), auth failures, subscriptions and
 * ZStack sessions that expire.
 *
 * The gateway's upstream time is a manual clock: a request the simulator holds times out when the
 * test moves the clock past its deadline (`onClock`), and no other request can time out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onClock, startStack, until, type Stack } from './helpers.js';
import { createManualClock } from '../src/domain/clock.js';
import { subscriptionStats } from '../src/graphql/subscriptions.js';
import { sha512Hex } from '../adapters/zstack/client.js';
import { sse, ws } from './sub-clients.js';
import type { Fault, FaultRule } from '../src/simulator/server.js';

const KEYS = { reader: 'reader-key-6c1f0e9d8b7a6c5d', writer: 'writer-key-0a9b8c7d6e5f4a3b' };

/** The gateway's log lines, at trace level (test/helpers.ts). */
let logLines: string[] = [];
const answers: string[] = [];
let stack: Stack;
/** The gateway's upstream clock (deadlines, retry waits): it moves only in `call`. */
const upstream = createManualClock();
/** Requests the simulators hold without an answer so far (the `hang` fault below). */
let held = 0;
const HANG: Fault = {
  kind: 'gate',
  until: () => {
    held++;
    return new Promise<void>(() => {});
  },
};

const IDS = {
  northflank: 'northflank:default-project/deepseek-v3-deployment',
  nemo: 'nemo:research-team-alpha/llama-3.1-8b',
  zstack: 'zstack:1bb3ef7d600d4d30b21b8ffd299c37b5',
} as const;
type Vendor = keyof typeof IDS;

async function call(query: string, variables: Record<string, unknown> = {}, token: string | null = KEYS.writer, headers: Record<string, string> = {}) {
  const heldBefore = held;
  const sent = fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  // Retry waits run out at once; a deadline passes only for a request the simulator holds.
  const res = (await onClock(upstream, sent, () => held - heldBefore)).value;
  const text = await res.text();
  const shownHeaders: Record<string, string> = {};
  res.headers.forEach((v, k) => (shownHeaders[k] = v));
  answers.push(text, JSON.stringify(shownHeaders));
  return { status: res.status, text, body: JSON.parse(text) };
}

const READ = `query($id: ID!) { modelDeployment(id: $id) { id name description tags status vendorStatus version raw ... on NemoModelDeployment { config } } }`;
const LIST = `{ modelDeployments(first: 500) { totalCount edges { node { id name raw } } failures { backend code message } } backends { id health { ok message } } }`;
const UPDATE = `mutation($input: UpdateModelDeploymentInput!) {
  updateModelDeployment(input: $input) {
    __typename
    ... on Error { code message }
    ... on UpstreamError { backend status vendorCode vendorMessage outcome request { method path } detail }
    ... on ValidationError { issues { path rule message } }
    ... on UpdateModelDeploymentSuccess { requests { method path body } changes { field before after } deployment { id raw } }
  }
}`;

const UPDATES: Record<Vendor, Record<string, unknown>> = {
  northflank: { description: 'rotated nightly' },
  nemo: { nemo: { config: 'llama-config-v3' } },
  zstack: { description: 'rotated nightly', tags: ['secrets-test'] },
};

beforeAll(async () => {
  stack = await startStack({
    healthTtlMs: 0,
    env: { WRITER_KEY: KEYS.writer },
    upstreamClock: upstream,
    backendOverrides: { northflank: { timeoutMs: 300 }, nemo: { timeoutMs: 300 }, zstack: { timeoutMs: 300 } },
    config: {
      auth: {
        apiKeys: [
          { name: 'dashboard', key: KEYS.reader, scopes: ['read'] },
          { name: 'ops', key: '${WRITER_KEY}', scopes: ['read', 'write'] },
        ],
      },
    },
  });
  logLines = stack.logs;
});
afterAll(() => stack?.close());

/** Every configured secret by kind, and every ZStack session the gateway used. */
function secrets(): Array<[kind: string, value: string]> {
  const sims = stack.sims as Record<string, any>;
  const sessions = new Set<string>();
  for (const c of sims.zstack.server.calls) {
    const auth = c.headers.authorization;
    if (typeof auth === 'string' && auth.startsWith('OAuth ')) sessions.add(auth.slice('OAuth '.length));
  }
  return [
    ['the read API key', KEYS.reader],
    ['the write API key', KEYS.writer],
    ['the Northflank token', sims.northflank.token],
    ['the NeMo token', sims.nemo.token],
    ['the ZStack password', sims.zstack.password],
    ['the ZStack password as SHA-512 hex', sha512Hex(sims.zstack.password)],
    ...[...sessions].map((s): [string, string] => ['a ZStack session', s]),
  ];
}

/** A vendor error that quotes the credential it refused, as some APIs do. */
function echoing(vendor: Vendor, secret: string): Fault {
  if (vendor === 'northflank') return { kind: 'status', status: 401, body: { error: { status: 401, message: `Invalid API token ${secret}`, details: { token: secret } } } };
  if (vendor === 'nemo') return { kind: 'status', status: 401, body: { detail: `Invalid authentication credentials: Bearer ${secret}` } };
  return { kind: 'status', status: 503, body: { error: { code: 'ID.1001', description: `Invalid session ${secret}`, details: `session ${secret} expired` } } };
}

describe('no secret in any log line or answer', () => {
  it('runs a representative workload', async () => {
    const sims = stack.sims as Record<string, any>;
    // Reads, lists and health.
    for (const id of Object.values(IDS)) expect((await call(READ, { id })).body.data.modelDeployment.id).toBe(id);
    expect((await call(LIST)).body.data.modelDeployments.failures).toEqual([]);

    // Updates: applied, planned, refused.
    for (const [vendor, input] of Object.entries(UPDATES) as [Vendor, Record<string, unknown>][]) {
      expect((await call(UPDATE, { input: { id: IDS[vendor], ...input } })).body.data.updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
      await call(UPDATE, { input: { id: IDS[vendor], ...input, dryRun: true } });
      await call(UPDATE, { input: { id: IDS[vendor], name: '', description: 'x'.repeat(5000) } });
    }

    // Auth failures: none, wrong, a real key with a suffix, a read key writing, a key in the wrong place.
    expect((await call(LIST, {}, null)).status).toBe(401);
    expect((await call(LIST, {}, 'not-a-key-0000000000000000')).status).toBe(401);
    expect((await call(LIST, {}, `${KEYS.writer}x`)).status).toBe(401);
    expect((await call(UPDATE, { input: { id: IDS.northflank, ...UPDATES.northflank } }, KEYS.reader)).body.data.updateModelDeployment.__typename).toBe('ForbiddenError');
    await call(LIST, {}, null, { authorization: `Basic ${Buffer.from(`ops:${KEYS.writer}`).toString('base64')}` });
    await call(LIST, {}, null, { authorization: KEYS.writer });

    // Faults on reads and writes, including vendors that quote our credentials back.
    const faults: Array<[Vendor, FaultRule]> = [];
    for (const vendor of Object.keys(IDS) as Vendor[]) {
      // What each vendor receives from us, and so could quote.
      const session = () => String(sims.zstack.server.calls.findLast((c: any) => c.headers.authorization?.startsWith('OAuth '))?.headers.authorization).slice(6);
      const received = vendor === 'northflank' ? [sims.northflank.token] : vendor === 'nemo' ? [sims.nemo.token] : [sha512Hex(sims.zstack.password), session()];
      for (const fault of [...received.map((r) => echoing(vendor, r)), { kind: 'status', status: 500 }, { kind: 'garbled' }, { kind: 'wrong-shape' }, { kind: 'reset' }, HANG] as Fault[]) {
        faults.push([vendor, { fault, times: 1 }], [vendor, { fault, times: 1, method: vendor === 'zstack' ? 'PUT' : 'POST' }]);
      }
    }
    for (const [vendor, rule] of faults) {
      sims[vendor].server.inject(rule);
      if (rule.method) await call(UPDATE, { input: { id: IDS[vendor], ...UPDATES[vendor] } });
      else await call(READ, { id: IDS[vendor] });
      sims[vendor].server.clearFaults();
    }
    await call(LIST);

    // ZStack sessions: ended by the server, and expired by time; each time the gateway logs in again.
    const logins = sims.zstack.logins();
    sims.zstack.expireSessions();
    expect((await call(READ, { id: IDS.zstack })).body.data.modelDeployment.id).toBe(IDS.zstack);
    stack.clock.advance(2 * 60 * 60 * 1000 + 1);
    expect((await call(UPDATE, { input: { id: IDS.zstack, description: 'after expiry' } })).body.data.updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
    expect(sims.zstack.logins()).toBeGreaterThanOrEqual(logins + 2);

    // Subscriptions over SSE and WebSocket, keyed in a header and in connection params.
    const q = `subscription($ids: [ID!]) { modelDeploymentChanged(ids: $ids, emitCurrent: true) { __typename } }`;
    const overSse = sse(stack.url, q, { ids: Object.values(IDS) }, { authorization: `Bearer ${KEYS.reader}` });
    const overWs = ws(stack.url, q, { ids: Object.values(IDS) }, { authorization: `Bearer ${KEYS.reader}` });
    const refused = ws(stack.url, q, { ids: Object.values(IDS) }, { authorization: `Bearer ${KEYS.reader}0` });
    await overSse.waitFor((ev) => ev.length >= 3);
    await overWs.waitFor((ev) => ev.length >= 3);
    await refused.waitFor((ev) => ev.some((e) => e.error));
    answers.push(JSON.stringify(overSse.events), JSON.stringify(overWs.events), JSON.stringify(refused.events, (_k, v) => (v instanceof Error ? v.message : v)));
    overSse.stop();
    overWs.stop();
    refused.stop();
    // The gateway has seen both subscribers leave (and logged what it logs of that) before the logs are scanned.
    await until('the subscribers to leave', () => subscriptionStats(stack.gateway.runtime.hub!).subscribers === 0);
  });

  it('finds none of the secrets anywhere', () => {
    const all = secrets();
    expect(all.length).toBeGreaterThanOrEqual(8);
    expect(logLines.length).toBeGreaterThan(100);
    // The logger let everything through (debug lines of every upstream call included), faults and logins too.
    expect(logLines.filter((l) => l.includes('"level":20')).length).toBeGreaterThan(50);
    expect(logLines.some((l) => l.includes('logged in to ZStack'))).toBe(true);
    expect(all.filter(([kind]) => kind === 'a ZStack session').length).toBeGreaterThanOrEqual(3);
    // Which line or answer showed which kind of secret, the secret itself blanked out.
    const shown = (text: string, secret: string) => text.split(secret).join('[THE SECRET]').slice(0, 300);
    for (const [kind, secret] of all) {
      const inLog = logLines.find((l) => l.includes(secret));
      expect(inLog === undefined, `a log line shows ${kind}: ${inLog && shown(inLog, secret)}`).toBe(true);
      const inAnswer = answers.find((a) => a.includes(secret));
      expect(inAnswer === undefined, `an answer shows ${kind}: ${inAnswer && shown(inAnswer, secret)}`).toBe(true);
    }
  });
});
