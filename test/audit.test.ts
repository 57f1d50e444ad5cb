/** The audit trail: one entry per write (applied, failed or refused), in the log and in a file that outlives restarts. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataOf, startStack } from './helpers.js';

import { bin } from './binary.js';
const dir = mkdtempSync(join(tmpdir(), 'model-gateway-audit-'));
const file = join(dir, 'audit', 'writes.jsonl');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const READER = 'reader-key-0123456789abcdef';
const WRITER = 'writer-key-0123456789abcdef';
const config = {
  auth: {
    apiKeys: [
      { name: 'dashboard', key: READER, scopes: ['read' as const] },
      { name: 'ops-script', key: WRITER, scopes: ['read' as const, 'write' as const] },
    ],
  },
  audit: { file },
};

const UPDATE = `mutation($id: ID!, $name: String) { updateModelDeployment(input: { id: $id, name: $name }) { __typename ... on Error { code } } }`;

function tail(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, 'audit', 'tail', ...args], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('the audit trail', () => {
  it('records an update, a bulk apply and a refused write; `audit tail --json` reads them back after a restart', async () => {
    let stack = await startStack({ config });
    const list = dataOf(await stack.gql(`{ modelDeployments(first: 100) { edges { node { id backend nativeId } } } }`, {}, { token: READER }));
    const [first, second] = list.modelDeployments.edges.map((e: any) => e.node).filter((d: any) => d.backend === 'northflank');

    // An update.
    const updated = await stack.gql(UPDATE, { id: first.id, name: 'audited-name' }, { token: WRITER, headers: { 'x-request-id': 'audit-update-1' } });
    expect(dataOf(updated).updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
    // A refused write: the key may only read.
    const refused = await stack.gql(UPDATE, { id: second.id, name: 'not-allowed' }, { token: READER, headers: { 'x-request-id': 'audit-refused-1' } });
    expect(JSON.stringify(refused.body)).toContain('FORBIDDEN');
    // A bulk plan, applied.
    const plan = dataOf(
      await stack.gql(`mutation($ids: [ID!]) { updateModelDeployments(ids: $ids, patch: { addTags: ["audited"] }, dryRun: true) { ... on UpdateModelDeploymentsPayload { planId } } }`, { ids: [first.id, second.id] }, { token: WRITER }),
    ).updateModelDeployments.planId;
    dataOf(await stack.gql(`mutation($p: ID!) { applyModelDeploymentPlan(planId: $p) { __typename } }`, { p: plan }, { token: WRITER, headers: { 'x-request-id': 'audit-apply-1' } }));

    // Each write is one structured log line too.
    const logged = stack.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'audit');
    expect(logged.map((l) => [l.audit.action, l.audit.keyName, l.audit.target, l.audit.outcome])).toEqual([
      ['update', 'ops-script', first.id, 'APPLIED'],
      ['update', 'dashboard', second.id, 'REFUSED'],
      ['update', 'ops-script', first.id, 'APPLIED'],
      ['update', 'ops-script', second.id, 'APPLIED'],
      ['plan.apply', 'ops-script', plan, 'APPLIED'],
    ]);
    await stack.close();

    // After a restart, the file keeps growing.
    stack = await startStack({ config });
    dataOf(await stack.gql(UPDATE, { id: first.id, name: 'after-restart' }, { token: WRITER, headers: { 'x-request-id': 'audit-update-2' } }));
    await stack.close();

    const entries = tail('--json', '--file', file)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(entries).toHaveLength(6);
    const [update, refusal, item1, item2, apply, later] = entries;
    expect(update).toMatchObject({
      action: 'update',
      keyName: 'ops-script',
      target: first.id,
      fields: ['name'],
      outcome: 'APPLIED',
      code: null,
      requestId: 'audit-update-1',
      requests: [{ method: 'POST', path: `/v1/projects/${first.nativeId.split('/')[0]}/llm-model-deployments/${first.nativeId.split('/')[1]}` }],
    });
    expect(update.durationMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(update.at)).not.toBeNaN();
    expect(refusal).toMatchObject({ action: 'update', keyName: 'dashboard', target: second.id, fields: ['name'], outcome: 'REFUSED', code: 'FORBIDDEN', requests: [], requestId: 'audit-refused-1' });
    for (const item of [item1, item2]) expect(item).toMatchObject({ action: 'update', keyName: 'ops-script', fields: ['tags'], outcome: 'APPLIED', requestId: 'audit-apply-1' });
    expect(apply).toMatchObject({ action: 'plan.apply', keyName: 'ops-script', target: plan, outcome: 'APPLIED', items: { CHANGED: 2 }, requestId: 'audit-apply-1' });
    expect(later).toMatchObject({ target: first.id, outcome: 'APPLIED', requestId: 'audit-update-2' });

    // Read through the config too (its secrets need not be set for this), as lines for people.
    const cfg = join(dir, 'gateway.yaml');
    writeFileSync(cfg, ['backends:', '  - id: northflank', '    vendor: northflank', '    token: ${UNSET_TOKEN}', 'audit:', '  file: audit/writes.jsonl', ''].join('\n'));
    const human = tail('--config', cfg, '-n', '2').trim().split('\n');
    expect(human).toHaveLength(2);
    expect(human[0]).toContain(`plan.apply ${plan}  APPLIED items CHANGED=2`);
    expect(human[1]).toMatch(new RegExp(`ops-script  update ${first.id}  APPLIED  POST /v1/projects/.+ ms  request audit-update-2$`));

    // Never a key.
    const text = readFileSync(file, 'utf8');
    for (const secret of [READER, WRITER]) expect(text).not.toContain(secret);
  }, 120_000);
});
