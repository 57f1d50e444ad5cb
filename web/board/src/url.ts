/** The table's filters, kept in the page's query string so a view can be shared and reloaded. */
export interface Filters {
  vendor: string;
  backend: string;
  status: string;
  tag: string;
  q: string;
}

export const EMPTY: Filters = { vendor: '', backend: '', status: '', tag: '', q: '' };
const KEYS = Object.keys(EMPTY) as (keyof Filters)[];

export function readFilters(search = location.search): Filters {
  const p = new URLSearchParams(search);
  const f = { ...EMPTY };
  for (const k of KEYS) f[k] = p.get(k) ?? '';
  return f;
}

export function writeFilters(f: Filters): void {
  const p = new URLSearchParams(location.search);
  for (const k of KEYS) {
    if (f[k]) p.set(k, f[k]);
    else p.delete(k);
  }
  const qs = p.toString();
  const url = `${location.pathname}${qs ? `?${qs}` : ''}${location.hash}`;
  if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(null, '', url);
}
