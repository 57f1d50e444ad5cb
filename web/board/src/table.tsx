import { useEffect, useRef, useState } from 'preact/hooks';
import type { Row } from './queries.js';
import type { Outage } from './app.js';
import { Chip, dateTime } from './bits.js';

const ROW_H = 40;
const OVERSCAN = 8;

/**
 * Every deployment in one table, virtualized: only the rows in view (plus a few) are in the DOM,
 * so 2,000 deployments scroll as smoothly as 20. Arrow keys move between rows, Enter opens one.
 */
export function Table({ rows, outages, onOpen, selected }: { rows: Row[]; outages: Record<string, Outage>; onOpen: (id: string) => void; selected: string | null }) {
  const scroller = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(600);
  const [active, setActive] = useState(0);
  const focusWanted = useRef(false);

  useEffect(() => {
    const el = scroller.current!;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  useEffect(() => {
    if (active >= rows.length) setActive(Math.max(0, rows.length - 1));
  }, [rows.length]);

  const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((top + height) / ROW_H) + OVERSCAN);
  const visible = rows.slice(first, last);

  useEffect(() => {
    if (!focusWanted.current) return;
    const tr = scroller.current?.querySelector<HTMLElement>(`tr[data-index="${active}"]`);
    // Until the scroll has brought the row into the rendered slice.
    if (!tr) return;
    focusWanted.current = false;
    tr.focus();
  });

  const move = (to: number) => {
    const i = Math.max(0, Math.min(rows.length - 1, to));
    setActive(i);
    focusWanted.current = true;
    const el = scroller.current!;
    const head = ROW_H;
    if (i * ROW_H < el.scrollTop) el.scrollTop = i * ROW_H;
    else if ((i + 1) * ROW_H + head > el.scrollTop + el.clientHeight) el.scrollTop = (i + 1) * ROW_H + head - el.clientHeight;
    setTop(el.scrollTop);
  };

  const onKey = (e: KeyboardEvent) => {
    const page = Math.max(1, Math.floor(height / ROW_H) - 1);
    const keys: Record<string, number> = { ArrowDown: active + 1, ArrowUp: active - 1, PageDown: active + page, PageUp: active - page, Home: 0, End: rows.length - 1 };
    if (e.key in keys) {
      e.preventDefault();
      move(keys[e.key]!);
    } else if ((e.key === 'Enter' || e.key === ' ') && rows[active]) {
      e.preventDefault();
      onOpen(rows[active]!.id);
    }
  };

  return (
    <div class="table-scroll" ref={scroller} onScroll={(e) => setTop(e.currentTarget.scrollTop)}>
      <table class="grid" aria-rowcount={rows.length + 1} aria-label="Deployments">
        <caption class="sr-only">Deployments. Arrow keys move between rows; Enter opens a deployment's details.</caption>
        <thead>
          <tr aria-rowindex={1}>
            <th scope="col">Vendor</th>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col">Version</th>
            <th scope="col">Updated</th>
            <th scope="col">Tags</th>
          </tr>
        </thead>
        <tbody onKeyDown={onKey}>
          {first > 0 && (
            <tr aria-hidden="true" class="spacer">
              <td colSpan={6} style={{ height: `${first * ROW_H}px` }} />
            </tr>
          )}
          {visible.map((r, k) => {
            const i = first + k;
            const out = outages[r.backend];
            return (
              <tr
                key={r.id}
                data-id={r.id}
                data-index={i}
                data-status={r.status}
                data-unavailable={out ? 'true' : undefined}
                aria-rowindex={i + 2}
                aria-current={selected === r.id ? 'true' : undefined}
                tabIndex={i === active ? 0 : -1}
                class={`${out ? 'unavailable' : ''} ${selected === r.id ? 'selected' : ''}`}
                onClick={() => {
                  setActive(i);
                  onOpen(r.id);
                }}
                onFocus={() => i !== active && setActive(i)}
              >
                <td>
                  <span class={`vendor v-${r.vendor}`}>{r.vendor}</span>
                  {r.backend !== r.vendor && <span class="muted small"> {r.backend}</span>}
                </td>
                <td class="name" title={r.nativeId}>
                  {r.name}
                </td>
                <td class="status">
                  <Chip status={r.status} vendorStatus={r.vendorStatus} />
                  {out && <span class="unavail-badge"> backend unavailable</span>}
                </td>
                <td class="mono" title={r.version ?? undefined}>
                  {r.version ?? '—'}
                </td>
                <td class="small">{dateTime(r.updatedAt)}</td>
                <td class="tags">
                  {r.tags.map((t) => (
                    <span class="tag" key={t}>
                      {t}
                    </span>
                  ))}
                </td>
              </tr>
            );
          })}
          {last < rows.length && (
            <tr aria-hidden="true" class="spacer">
              <td colSpan={6} style={{ height: `${(rows.length - last) * ROW_H}px` }} />
            </tr>
          )}
          {rows.length === 0 && (
            <tr>
              <td colSpan={6} class="muted empty">
                No deployment matches.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
