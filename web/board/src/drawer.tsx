import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { gql } from './api.js';
import { DETAIL, UPDATE, ROW_FIELDS, type Row, type UpdateResult } from './queries.js';
import type { FeedItem, Outage } from './app.js';
import { Chip, dateTime, json, time } from './bits.js';

type Detail = Record<string, unknown> & { __typename: string };

const COMMON = new Set([...ROW_FIELDS.split(' '), '__typename', 'createdAt', 'model', 'resources', 'statusHistory', 'versions']);
const VENDOR_TITLE: Record<string, string> = {
  NorthflankModelDeployment: 'Northflank configuration',
  NemoModelDeployment: 'NeMo config',
  ZStackModel: 'ZStack model fields',
};
const VENDOR_HINT: Record<string, string> = {
  northflank: '{"spec": {"configuration": {"nodeConfiguration": {"storage": {"storageSize": 61440}}}}}',
  nemo: '{"config": "my-config", "configVersion": 2}',
  zstack: '{"gpuConstraintDescription": "A100 80GB"}',
};

/** A deployment's details, what was seen of it since the page opened, and (with a write key) its edit form. */
export function Drawer(p: { row: Row; apiKey: string | null; outage?: Outage; seen: FeedItem[]; canWrite: boolean; onClose: () => void; onUpdated: (d: Row) => void }) {
  const { row } = p;
  const [detail, setDetail] = useState<Detail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const ref = useRef<HTMLDivElement>(null);
  const opener = useRef<Element | null>(document.activeElement);

  const load = () =>
    gql<{ modelDeployment: Detail | null }>(p.apiKey, DETAIL, { id: row.id }).then(
      (r) => {
        if (r.data?.modelDeployment) setDetail(r.data.modelDeployment), setError(null);
        else setError(r.errors?.map((e) => e.message).join('; ') ?? 'not found');
      },
      (e) => setError(String(e)),
    );
  useEffect(() => {
    setDetail(null);
    void load();
  }, [row.id, row.version, row.status]);

  useEffect(() => {
    ref.current?.focus();
    const back = opener.current;
    return () => (back as HTMLElement | null)?.focus?.();
  }, [row.id]);

  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      p.onClose();
    } else if (e.key === 'Tab' && ref.current) {
      // A modal dialog: Tab cycles within it.
      const focusable = [...ref.current.querySelectorAll<HTMLElement>('button, input, textarea, select, a[href], [tabindex="0"]')].filter((el) => !(el as HTMLButtonElement).disabled);
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      if (!first || !last) return;
      if (e.shiftKey && (document.activeElement === first || document.activeElement === ref.current)) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    }
  };

  return (
    <div class="backdrop" onClick={(e) => e.target === e.currentTarget && p.onClose()}>
      <div class="drawer" role="dialog" aria-modal="true" aria-labelledby="drawer-h" tabIndex={-1} ref={ref} onKeyDown={onKey}>
        <header>
          <h2 id="drawer-h">{row.name}</h2>
          <button type="button" class="close" onClick={p.onClose} aria-label="Close details">
            ✕
          </button>
        </header>
        <p>
          <Chip status={row.status} vendorStatus={row.vendorStatus} /> <span class="muted">{row.vendor}</span>
          {p.outage && <span class="unavail-badge"> backend unavailable: {p.outage.message}</span>}
        </p>
        {row.statusMessage && <p class="muted">{row.statusMessage}</p>}
        <dl class="facts">
          <dt>ID</dt>
          <dd class="mono">{row.id}</dd>
          <dt>Backend</dt>
          <dd>{row.backend}</dd>
          <dt>Version</dt>
          <dd class="mono">{row.version ?? '—'}</dd>
          <dt>Updated</dt>
          <dd>{dateTime(row.updatedAt)}</dd>
          <dt>Tags</dt>
          <dd>{row.tags.join(', ') || '—'}</dd>
          <dt>Description</dt>
          <dd>{row.description || '—'}</dd>
        </dl>

        <section aria-labelledby="seen-h">
          <h3 id="seen-h">Seen since the page opened</h3>
          {p.seen.length === 0 ? (
            <p class="muted">No transitions yet.</p>
          ) : (
            <ol class="seen">
              {p.seen.map((s) => (
                <li key={s.seq}>
                  <time dateTime={s.at}>{time(s.at)}</time> {s.previous !== s.current ? <>{s.previous ?? 'new'} → {s.current}</> : <>changed {s.changedFields?.join(', ')}</>}
                </li>
              ))}
            </ol>
          )}
        </section>

        {error && (
          <p class="error" role="alert">
            Could not read the details: {error}
          </p>
        )}
        {detail ? <VendorFields detail={detail} /> : !error && <p class="muted">Reading details…</p>}

        {p.canWrite && <EditForm row={row} apiKey={p.apiKey} onUpdated={(d) => (p.onUpdated(d), void load())} />}
      </div>
    </div>
  );
}

function VendorFields({ detail }: { detail: Detail }) {
  const vendorOwn = Object.entries(detail).filter(([k, v]) => !COMMON.has(k) && v !== null && v !== undefined);
  const history = detail.statusHistory as { timestamp: string; status: string; statusMessage: string; unifiedStatus: string }[] | undefined;
  const versions = detail.versions as Record<string, unknown>[] | undefined;
  return (
    <>
      <section aria-labelledby="vendor-h">
        <h3 id="vendor-h">{VENDOR_TITLE[detail.__typename] ?? 'Vendor fields'}</h3>
        <Fields value={Object.fromEntries(vendorOwn)} />
        {detail.model != null && (
          <>
            <h4>Model</h4>
            <Fields value={detail.model} />
          </>
        )}
        {detail.resources != null && (
          <>
            <h4>Resources</h4>
            <Fields value={detail.resources} />
          </>
        )}
      </section>
      {history && (
        <section aria-labelledby="history-h">
          <h3 id="history-h">Status history</h3>
          <table class="mini">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">NeMo status</th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {history.map((h, i) => (
                <tr key={i}>
                  <td>{dateTime(h.timestamp)}</td>
                  <td>
                    <Chip status={h.unifiedStatus} vendorStatus={h.status} />
                  </td>
                  <td>{h.statusMessage}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {versions && (
        <section aria-labelledby="versions-h">
          <h3 id="versions-h">Earlier versions</h3>
          {versions.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <table class="mini">
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Config</th>
                  <th scope="col">Status</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {versions.map((v) => (
                  <tr key={String(v.entityVersion)}>
                    <td>{String(v.entityVersion)}</td>
                    <td>
                      {String(v.config)} v{String(v.configVersion)}
                    </td>
                    <td>
                      <Chip status={String(v.status)} vendorStatus={String(v.vendorStatus)} />
                    </td>
                    <td>{dateTime(v.updatedAt as string)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </>
  );
}

/** Nested vendor fields as a definition list. */
function Fields({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span class="muted">—</span>;
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== 'object' || v === null)) return <span>{value.join(', ') || '—'}</span>;
    return (
      <ol class="fields-list">
        {value.map((v, i) => (
          <li key={i}>
            <Fields value={v} />
          </li>
        ))}
      </ol>
    );
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([k, v]) => k !== '__typename' && v !== null && v !== undefined);
    if (entries.length === 0) return <span class="muted">—</span>;
    return (
      <dl class="fields">
        {entries.map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd>
              <Fields value={v} />
            </dd>
          </Fragment>
        ))}
      </dl>
    );
  }
  return <span class="mono">{String(value)}</span>;
}

type Phase = { step: 'edit' } | { step: 'planned'; input: Record<string, unknown>; result: Extract<UpdateResult, { __typename: 'UpdateModelDeploymentSuccess' }> } | { step: 'done'; result: UpdateResult; dryRun: boolean };

/** Common fields and the vendor block; a dry run first, then the same input applied on confirmation. */
function EditForm({ row, apiKey, onUpdated }: { row: Row; apiKey: string | null; onUpdated: (d: Row) => void }) {
  const [name, setName] = useState(row.name);
  const [description, setDescription] = useState(row.description ?? '');
  const [tags, setTags] = useState(row.tags.join(', '));
  const [vendorJson, setVendorJson] = useState('');
  const [phase, setPhase] = useState<Phase>({ step: 'edit' });
  const [busy, setBusy] = useState(false);
  const [localError, setLocalError] = useState<string | null>(null);
  const resultRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    setName(row.name);
    setDescription(row.description ?? '');
    setTags(row.tags.join(', '));
    setVendorJson('');
    setPhase({ step: 'edit' });
  }, [row.id]);
  useEffect(() => resultRef.current?.focus(), [phase]);

  const build = (): Record<string, unknown> | null => {
    const input: Record<string, unknown> = { id: row.id };
    if (row.version) input.expectedVersion = row.version;
    if (name !== row.name) input.name = name;
    if (description !== (row.description ?? '')) input.description = description;
    const tagList = tags
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    if (tagList.join('\n') !== row.tags.join('\n')) input.tags = tagList;
    if (vendorJson.trim()) {
      try {
        input[row.vendor] = JSON.parse(vendorJson);
      } catch (e) {
        setLocalError(`The ${row.vendor} fields are not valid JSON: ${(e as Error).message}`);
        return null;
      }
    }
    setLocalError(null);
    return input;
  };

  const run = async (input: Record<string, unknown>, dryRun: boolean) => {
    setBusy(true);
    try {
      const r = await gql<{ updateModelDeployment: UpdateResult }>(apiKey, UPDATE, { input: { ...input, dryRun } });
      const result = r.data?.updateModelDeployment;
      if (!result) {
        setLocalError(r.errors?.map((e) => e.message).join('; ') ?? 'no answer');
        return;
      }
      if (dryRun && result.__typename === 'UpdateModelDeploymentSuccess') {
        // What is applied is exactly what was shown: the plan's version is the one expected.
        setPhase({ step: 'planned', input: { ...input, ...(result.deployment.version ? { expectedVersion: result.deployment.version } : {}) }, result });
      } else {
        setPhase({ step: 'done', result, dryRun });
        if (!dryRun && result.__typename === 'UpdateModelDeploymentSuccess') onUpdated(result.deployment);
      }
    } catch (e) {
      setLocalError(String(e));
    } finally {
      setBusy(false);
    }
  };

  const issuesFor = (field: string) => (phase.step === 'done' && phase.result.__typename === 'ValidationError' ? phase.result.issues.filter((i) => i.path[0] === field || (field === 'vendor' && i.path[0] === row.vendor)) : []);
  const fieldError = (field: string) => {
    const issues = issuesFor(field);
    return issues.length ? (
      <span class="error" id={`err-${field}`}>
        {issues.map((i) => `${i.path.join('.')}: ${i.message} (${i.rule})`).join('; ')}
      </span>
    ) : null;
  };
  const described = (field: string) => (issuesFor(field).length ? `err-${field}` : undefined);

  return (
    <section aria-labelledby="edit-h" class="edit">
      <h3 id="edit-h">Edit</h3>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const input = build();
          if (input) void run(input, true);
        }}
      >
        <label>
          Name
          <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} aria-invalid={issuesFor('name').length > 0} aria-describedby={described('name')} />
          {fieldError('name')}
        </label>
        <label>
          Description
          <input name="description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} aria-invalid={issuesFor('description').length > 0} aria-describedby={described('description')} />
          {fieldError('description')}
        </label>
        <label>
          Tags (comma-separated)
          <input name="tags" value={tags} onInput={(e) => setTags(e.currentTarget.value)} aria-invalid={issuesFor('tags').length > 0} aria-describedby={described('tags')} />
          {fieldError('tags')}
        </label>
        <label>
          {row.vendor} fields (JSON, optional)
          <textarea name="vendor" rows={3} value={vendorJson} placeholder={VENDOR_HINT[row.vendor] ?? '{}'} onInput={(e) => setVendorJson(e.currentTarget.value)} aria-invalid={issuesFor('vendor').length > 0} aria-describedby={described('vendor')} />
          {fieldError('vendor')}
        </label>
        {localError && (
          <p class="error" role="alert">
            {localError}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Dry run
        </button>
      </form>

      {phase.step === 'planned' && (
        <div class="plan" tabIndex={-1} ref={resultRef} aria-labelledby="plan-h" role="region">
          <h4 id="plan-h">Dry run: nothing was sent</h4>
          <Plan result={phase.result} />
          {phase.result.requests.length > 0 ? (
            <div class="actions">
              <button type="button" class="primary" disabled={busy} onClick={() => void run(phase.input, false)}>
                Apply
              </button>
              <button type="button" disabled={busy} onClick={() => setPhase({ step: 'edit' })}>
                Discard
              </button>
            </div>
          ) : (
            <p>Nothing to change: the deployment already is as asked.</p>
          )}
        </div>
      )}
      {phase.step === 'done' && (
        <div class={`result r-${phase.result.__typename}`} tabIndex={-1} ref={resultRef} role="region" aria-labelledby="result-h">
          <Outcome result={phase.result} dryRun={phase.dryRun} />
        </div>
      )}
    </section>
  );
}

function Plan({ result }: { result: Extract<UpdateResult, { __typename: 'UpdateModelDeploymentSuccess' }> }) {
  return (
    <>
      <h5>Field changes</h5>
      {result.changes.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <table class="mini diff">
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {result.changes.map((c) => (
              <tr key={c.field}>
                <td class="mono">{c.field}</td>
                <td>
                  <pre>{json(c.before)}</pre>
                </td>
                <td>
                  <pre>{json(c.after)}</pre>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h5>Vendor requests</h5>
      <ol class="requests">
        {result.requests.map((r, i) => (
          <li key={i} class="request">
            <code class="req-line">
              {r.method} {r.path}
            </code>
            {r.body !== null && r.body !== undefined && <pre class="req-body">{json(r.body)}</pre>}
          </li>
        ))}
      </ol>
    </>
  );
}

function Outcome({ result, dryRun }: { result: UpdateResult; dryRun: boolean }) {
  switch (result.__typename) {
    case 'UpdateModelDeploymentSuccess':
      return (
        <>
          <h4 id="result-h">{dryRun ? 'Dry run' : 'Applied'}</h4>
          <Plan result={result} />
        </>
      );
    case 'ValidationError':
      return (
        <>
          <h4 id="result-h">Refused: validation</h4>
          <ul>
            {result.issues.map((i, k) => (
              <li key={k}>
                <code>{i.path.join('.')}</code>: {i.message} <span class="muted">({i.rule})</span>
              </li>
            ))}
          </ul>
        </>
      );
    case 'ConflictError':
      return (
        <>
          <h4 id="result-h">Conflict</h4>
          <p>
            {result.message} (expected version {result.expectedVersion ?? '—'}, now {result.actualVersion ?? '—'}). Run the dry run again.
          </p>
        </>
      );
    case 'UnsupportedFieldError':
      return (
        <>
          <h4 id="result-h">Unsupported field</h4>
          <p>
            <code>{result.field}</code> cannot be changed on {result.vendor}: {result.reason}
          </p>
        </>
      );
    case 'UpstreamError':
      return (
        <>
          <h4 id="result-h">The vendor refused or failed</h4>
          <p>{result.message}</p>
          <dl class="facts">
            <dt>Backend</dt>
            <dd>{result.backend}</dd>
            <dt>HTTP status</dt>
            <dd>{result.status ?? '—'}</dd>
            <dt>Outcome</dt>
            <dd>{result.outcome ?? '—'}</dd>
            <dt>Retryable</dt>
            <dd>{result.retryable ? 'yes' : 'no'}</dd>
            {result.vendorMessage && (
              <>
                <dt>Vendor says</dt>
                <dd>
                  {result.vendorCode ? `${result.vendorCode}: ` : ''}
                  {result.vendorMessage}
                </dd>
              </>
            )}
          </dl>
        </>
      );
    case 'NotFoundError':
      return (
        <>
          <h4 id="result-h">Not found</h4>
          <p>{result.message}</p>
        </>
      );
  }
}
