/** A status as a coloured chip; the colour is never the only signal (the word is there). */
export function Chip({ status, vendorStatus }: { status: string; vendorStatus?: string | null }) {
  return (
    <span class={`chip s-${status.toLowerCase()}`}>
      {status}
      {vendorStatus && <span class="vendor-word"> · {vendorStatus}</span>}
    </span>
  );
}

export function time(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString(undefined, { hour12: false });
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toLocaleDateString()} ${d.toLocaleTimeString(undefined, { hour12: false })}`;
}

export const json = (v: unknown) => (v === undefined ? '—' : JSON.stringify(v, null, 2));
