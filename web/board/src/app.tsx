import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { gql, storedKey, storeKey, subscribe, Unauthenticated, type Stream } from './api.js';
import { BACKENDS, BACKEND_ROWS, CHANGES, VIEWER, type BackendInfo, type ChangeEvent, type Row, type Viewer } from './queries.js';
import { readFilters, writeFilters, type Filters } from './url.js';
import { Table } from './table.js';
import { Drawer } from './drawer.js';
import { Chip, time } from './bits.js';

export interface FeedItem {
  seq: number;
  at: string;
  kind: 'change' | 'down' | 'up';
  backend: string;
  id?: string;
  name?: string;
  vendor?: string;
  previous?: string | null;
  current?: string;
  changedFields?: string[];
  message?: string;
}

export interface Outage {
  code: string;
  message: string;
  at: string;
}

type Auth = { state: 'checking' } | { state: 'need-key'; error?: string } | { state: 'ok'; viewer: Viewer };

const FEED_MAX = 200;
/** Transitions kept per deployment for its drawer. */
const SEEN_MAX = 50;

export function App() {
  const [key, setKey] = useState<string | null>(storedKey());
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });
  const [backends, setBackends] = useState<BackendInfo[]>([]);
  const [outages, setOutages] = useState<Record<string, Outage>>({});
  const [feed, setFeed] = useState<FeedItem[]>([]);
  const [stream, setStream] = useState('connecting');
  const [filters, setFilters] = useState<Filters>(readFilters());
  const [selected, setSelected] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const rows = useRef(new Map<string, Row>()).current;
  const seenById = useRef(new Map<string, FeedItem[]>()).current;
  const pending = useRef<ChangeEvent[]>([]);
  const flushTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const seq = useRef(0);
  const healthTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  // Who is calling: decides whether to ask for a key and whether to show write controls.
  useEffect(() => {
    let live = true;
    setAuth({ state: 'checking' });
    gql<{ viewer: Viewer }>(key, VIEWER).then(
      (r) => {
        if (!live) return;
        if (r.data?.viewer) setAuth({ state: 'ok', viewer: r.data.viewer });
        else setAuth({ state: 'need-key', error: r.errors?.[0]?.message ?? 'The gateway did not say who you are' });
      },
      (err) => {
        if (!live) return;
        if (err instanceof Unauthenticated) {
          if (key) storeKey(null);
          setAuth({ state: 'need-key', error: key ? `That key was refused: ${err.message}` : undefined });
        } else setAuth({ state: 'need-key', error: `The gateway cannot be reached: ${String(err)}` });
      },
    );
    return () => {
      live = false;
    };
  }, [key]);

  const loadHealth = useCallback(() => {
    gql<{ backends: BackendInfo[] }>(key, BACKENDS).then(
      (r) => {
        if (!r.data) return;
        setBackends(r.data.backends);
      },
      () => {},
    );
  }, [key]);

  /** Health is read on load and when a backend's availability changes, never on a timer. */
  const healthSoon = useCallback(() => {
    if (healthTimer.current) clearTimeout(healthTimer.current);
    healthTimer.current = setTimeout(loadHealth, 100);
  }, [loadHealth]);

  /**
   * A backend that was down when the stream began has no rows; once it answers again its
   * deployments are read once (the hub takes that first read as its baseline and tells nobody).
   */
  const readBackend = useCallback(
    async (backend: string) => {
      let after: string | null = null;
      for (let page = 0; page < 100; page++) {
        type Page = { modelDeployments: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: Row }[] } };
        const r: { data?: Page } = await gql<Page>(key, BACKEND_ROWS, { backend, after }).catch(() => ({}));
        const conn = r.data?.modelDeployments;
        if (!conn) return;
        for (const e of conn.edges) if (!rows.has(e.node.id)) rows.set(e.node.id, e.node);
        setTick((t) => t + 1);
        if (!conn.pageInfo.hasNextPage) return;
        after = conn.pageInfo.endCursor;
      }
    },
    [key],
  );

  const flush = useCallback(() => {
    flushTimer.current = null;
    const events = pending.current;
    pending.current = [];
    const items: FeedItem[] = [];
    const down: Record<string, Outage | null> = {};
    for (const ev of events) {
      if (ev.__typename === 'ModelDeploymentChange') {
        const d = ev.deployment;
        rows.set(d.id, d);
        if (!ev.initial) {
          down[d.backend] = null;
          const item: FeedItem = { seq: ++seq.current, at: ev.at, kind: 'change', backend: d.backend, id: d.id, name: d.name, vendor: d.vendor, previous: ev.previous, current: ev.current, changedFields: ev.changedFields };
          items.push(item);
          const list = seenById.get(d.id) ?? [];
          list.push(item);
          if (list.length > SEEN_MAX) list.shift();
          seenById.set(d.id, list);
        }
      } else if (ev.__typename === 'BackendUnavailable') {
        down[ev.backend] = { code: ev.code, message: ev.message, at: ev.at };
        items.push({ seq: ++seq.current, at: ev.at, kind: 'down', backend: ev.backend, message: `${ev.message} (retrying in ${Math.round(ev.retryInMs / 100) / 10} s)` });
      } else if (ev.__typename === 'BackendRecovered') {
        down[ev.backend] = null;
        void readBackend(ev.backend);
        items.push({ seq: ++seq.current, at: ev.at, kind: 'up', backend: ev.backend, message: 'answers again' });
      }
    }
    if (Object.keys(down).length) {
      setOutages((o) => {
        const next = { ...o };
        let changed = false;
        for (const [b, v] of Object.entries(down)) {
          if (v && !next[b]) (next[b] = v), (changed = true);
          else if (!v && next[b]) delete next[b], (changed = true);
        }
        return changed ? next : o;
      });
      healthSoon();
    }
    if (items.length) setFeed((f) => [...items.reverse(), ...f].slice(0, FEED_MAX));
    setTick((t) => t + 1);
  }, [healthSoon, readBackend]);

  // The one subscription of the page: present states first, then changes and outages.
  useEffect(() => {
    if (auth.state !== 'ok') return;
    loadHealth();
    const s: Stream = subscribe<{ modelDeploymentChanged: ChangeEvent }>(key, CHANGES, {}, {
      next: (data) => {
        pending.current.push(data.modelDeploymentChanged);
        // Events are applied in batches: a burst of 2,000 costs one render.
        flushTimer.current ??= setTimeout(flush, 30);
        setStream((st) => (st === 'live' ? st : 'live'));
      },
      connected: (attempt) => setStream(attempt ? 'reconnecting' : 'connecting'),
      lost: (reason, wait) => {
        setStream(`lost: ${reason}; reconnecting in ${Math.round(wait / 1000)} s`);
        healthSoon();
      },
    });
    return () => s.stop();
  }, [auth.state, key]);

  // Outages known from health at load (before any event says so).
  useEffect(() => {
    setOutages((o) => {
      let next = o;
      for (const b of backends) {
        if (!b.health.ok && !o[b.id]) next = { ...next, [b.id]: { code: 'UNHEALTHY', message: b.health.message ?? 'health check failed', at: b.health.checkedAt } };
      }
      return next;
    });
  }, [backends]);

  useEffect(() => writeFilters(filters), [filters]);
  useEffect(() => {
    const onPop = () => setFilters(readFilters());
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);

  const all = useMemo(() => [...rows.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)), [tick]);
  const vendors = useMemo(() => [...new Set([...backends.map((b) => b.vendor), ...all.map((r) => r.vendor)])].sort(), [backends, all]);
  const backendIds = useMemo(() => [...new Set([...backends.map((b) => b.id), ...all.map((r) => r.backend)])].sort(), [backends, all]);
  const tags = useMemo(() => [...new Set(all.flatMap((r) => r.tags))].sort(), [all]);
  const shown = useMemo(() => {
    const q = filters.q.trim().toLowerCase();
    return all.filter(
      (r) =>
        (!filters.vendor || r.vendor === filters.vendor) &&
        (!filters.backend || r.backend === filters.backend) &&
        (!filters.status || r.status === filters.status) &&
        (!filters.tag || r.tags.includes(filters.tag)) &&
        (!q || `${r.name}\n${r.description ?? ''}\n${r.nativeId}`.toLowerCase().includes(q)),
    );
  }, [all, filters]);

  const signOut = () => {
    storeKey(null);
    rows.clear();
    setFeed([]);
    setKey(null);
  };

  if (auth.state !== 'ok') return <KeyForm auth={auth} onKey={(k) => (storeKey(k), setKey(k))} />;
  const viewer = auth.viewer;
  const canWrite = (backend: string) => viewer.scopes.includes('write') && (viewer.backends === null || viewer.backends.includes(backend));
  const selectedRow = selected ? rows.get(selected) ?? null : null;

  return (
    <div class="board">
      <header class="top">
        <h1>model-gateway <span>status board</span></h1>
        <p class="stream" role="status" aria-live="polite">
          <span class={`dot ${stream === 'live' ? 'ok' : 'warn'}`} aria-hidden="true" /> {stream === 'live' ? 'Live' : stream === 'connecting' ? 'Connecting…' : stream === 'reconnecting' ? 'Reconnecting…' : stream}
        </p>
        <p class="who">
          {key ? (
            <>
              Key <strong>{viewer.name}</strong> ({viewer.scopes.join(', ')}){' '}
              <button type="button" onClick={signOut}>
                Forget key
              </button>
            </>
          ) : (
            <>Open gateway ({viewer.scopes.join(', ')})</>
          )}
        </p>
        <ThemeToggle />
      </header>

      <section aria-labelledby="backends-h" class="cards">
        <h2 id="backends-h" class="sr-only">
          Backends
        </h2>
        {backends.map((b) => (
          <BackendCard key={b.id} backend={b} outage={outages[b.id]} count={all.filter((r) => r.backend === b.id).length} />
        ))}
        <button type="button" class="refresh" onClick={loadHealth}>
          Check health
        </button>
      </section>

      <main class="main">
        <section aria-labelledby="deployments-h" class="deployments">
          <h2 id="deployments-h">
            Deployments <span class="count">{shown.length === all.length ? all.length : `${shown.length} of ${all.length}`}</span>
          </h2>
          <FilterBar filters={filters} setFilters={setFilters} vendors={vendors} backends={backendIds} tags={tags} />
          <Table rows={shown} outages={outages} onOpen={setSelected} selected={selected} />
        </section>
        <section aria-labelledby="feed-h" class="feed">
          <h2 id="feed-h">Live feed</h2>
          <div role="log" aria-label="Transitions since the page opened">
          <ol class="feed-list">
            {feed.length === 0 && <li class="muted">No changes yet. Transitions appear here as they happen.</li>}
            {feed.map((f) => (
              <li key={f.seq} class={`feed-${f.kind}`}>
                <time dateTime={f.at}>{time(f.at)}</time>{' '}
                {f.kind === 'change' ? (
                  <>
                    <button type="button" class="link" onClick={() => setSelected(f.id!)}>
                      {f.name}
                    </button>{' '}
                    <span class="muted">{f.vendor}</span>{' '}
                    {f.previous !== f.current ? (
                      <>
                        {f.previous ? <Chip status={f.previous} /> : 'new'} → <Chip status={f.current!} />
                      </>
                    ) : (
                      <span>changed {f.changedFields!.join(', ')}</span>
                    )}
                  </>
                ) : (
                  <>
                    <strong>{f.backend}</strong> {f.kind === 'down' ? 'unavailable: ' : ''}
                    {f.message}
                  </>
                )}
              </li>
            ))}
          </ol>
          </div>
        </section>
      </main>

      {selectedRow && (
        <Drawer
          row={selectedRow}
          apiKey={key}
          outage={outages[selectedRow.backend]}
          seen={seenById.get(selectedRow.id) ?? []}
          canWrite={canWrite(selectedRow.backend)}
          onClose={() => setSelected(null)}
          onUpdated={(d) => {
            rows.set(d.id, d);
            setTick((t) => t + 1);
          }}
        />
      )}
    </div>
  );
}

function BackendCard({ backend: b, outage, count }: { backend: BackendInfo; outage?: Outage; count: number }) {
  const down = Boolean(outage);
  return (
    <article class={`card ${down ? 'down' : 'up'}`} data-backend={b.id} data-state={down ? 'unavailable' : 'available'} aria-labelledby={`card-${b.id}`}>
      <h3 id={`card-${b.id}`}>
        {b.id} {b.vendor !== b.id && <span class="muted">{b.vendor}</span>}
      </h3>
      <p class="health">
        <span class={`dot ${down ? 'bad' : 'ok'}`} aria-hidden="true" />
        {down ? <strong>Unavailable</strong> : 'Healthy'}
        {!down && b.health.latencyMs !== null && <span class="latency"> · {b.health.latencyMs} ms</span>}
      </p>
      {down && <p class="outage">{outage!.message}</p>}
      <p class="muted small">
        {count} deployments · checked {time(b.health.checkedAt)}
      </p>
    </article>
  );
}

function FilterBar(p: { filters: Filters; setFilters: (f: Filters) => void; vendors: string[]; backends: string[]; tags: string[] }) {
  const f = p.filters;
  const set = (k: keyof Filters) => (e: Event) => p.setFilters({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const select = (k: keyof Filters, label: string, options: string[]) => (
    <div class="field">
      <label for={`filter-${k}`}>{label}</label>
      <select id={`filter-${k}`} name={k} value={f[k]} onChange={set(k)}>
        <option value="">All</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
        {f[k] && !options.includes(f[k]) && <option value={f[k]}>{f[k]}</option>}
      </select>
    </div>
  );
  return (
    <form class="filters" role="search" aria-label="Filter deployments" onSubmit={(e) => e.preventDefault()}>
      {select('vendor', 'Vendor', p.vendors)}
      {select('backend', 'Backend', p.backends)}
      {select('status', 'Status', ['READY', 'STARTING', 'PROVISIONING', 'PENDING', 'PAUSED', 'FAILED', 'DELETING', 'DELETED', 'UNKNOWN'])}
      {select('tag', 'Tag', p.tags)}
      <div class="field grow">
        <label for="filter-q">Search</label>
        <input id="filter-q" type="search" name="q" value={f.q} onInput={set('q')} placeholder="name, description or native id" />
      </div>
      {(f.vendor || f.backend || f.status || f.tag || f.q) && (
        <button type="button" onClick={() => p.setFilters({ vendor: '', backend: '', status: '', tag: '', q: '' })}>
          Clear filters
        </button>
      )}
    </form>
  );
}

function KeyForm({ auth, onKey }: { auth: Auth; onKey: (k: string) => void }) {
  const [value, setValue] = useState('');
  if (auth.state === 'checking') return <p class="boot">Connecting to the gateway…</p>;
  const error = auth.state === 'need-key' ? auth.error : undefined;
  return (
    <main class="login">
      <h1>model-gateway status board</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim()) onKey(value.trim());
        }}
      >
        <p>This gateway needs an API key. It is kept in this tab only (session storage) and sent as a bearer header.</p>
        <label>
          API key
          <input type="password" name="key" autoComplete="off" value={value} onInput={(e) => setValue(e.currentTarget.value)} aria-describedby={error ? 'key-error' : undefined} required />
        </label>
        {error && (
          <p id="key-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit">Open the board</button>
      </form>
    </main>
  );
}

function ThemeToggle() {
  const initial = (() => {
    try {
      const t = localStorage.getItem('model-gateway.board.theme');
      if (t === 'dark' || t === 'light') return t;
    } catch {
      /* no storage */
    }
    return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  })();
  const [theme, setTheme] = useState<'dark' | 'light'>(initial);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const next = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      class="theme"
      aria-label={`Switch to the ${next} theme`}
      onClick={() => {
        setTheme(next);
        try {
          localStorage.setItem('model-gateway.board.theme', next);
        } catch {
          /* no storage */
        }
      }}
    >
      {theme === 'dark' ? '☀ Light' : '☾ Dark'}
    </button>
  );
}
