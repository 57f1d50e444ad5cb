import { createClient, type Client } from 'graphql-sse';

/** The GraphQL endpoint of the gateway that served this page: same origin, nothing else. */
export const ENDPOINT = '/graphql';
const KEY_STORAGE = 'model-gateway.board.key';

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}
export function storeKey(key: string | null): void {
  try {
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    /* storage disabled: the key lives as long as the page */
  }
}

export class Unauthenticated extends Error {}

export interface GqlError {
  message: string;
  extensions?: { code?: string };
}

/** One operation over HTTP, with the key as a bearer header (no cookies are involved). */
export async function gql<T>(key: string | null, query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: GqlError[] }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(ENDPOINT, { method: 'POST', headers, body: JSON.stringify({ query, variables }), credentials: 'omit' });
  if (res.status === 401) throw new Unauthenticated((await res.json().catch(() => null))?.errors?.[0]?.message ?? 'API key required');
  const body = await res.json();
  return body;
}

export interface Stream {
  stop(): void;
}

export interface StreamHandlers<T> {
  next(data: T): void;
  /** The stream is (re)connected; `attempt` counts reconnections since the page opened. */
  connected(attempt: number): void;
  /** The stream ended or failed; it is retried after `retryInMs`. */
  lost(reason: string, retryInMs: number): void;
}

/**
 * One subscription over graphql-sse (a POST answered with text/event-stream). When the stream
 * ends — an error, a restart of the gateway, a network change — it subscribes again after a
 * growing pause (1 s doubling to 30 s, back to 1 s once events flow); with emitCurrent the new
 * stream first sends the present state, so nothing is missed.
 */
export function subscribe<T>(key: string | null, query: string, variables: Record<string, unknown>, h: StreamHandlers<T>): Stream {
  const client: Client = createClient({
    url: ENDPOINT,
    headers: (): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {}),
    credentials: 'omit',
    retryAttempts: 0,
  });
  let stopped = false;
  let attempt = 0;
  let failures = 0;
  let dispose: (() => void) | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const start = () => {
    if (stopped) return;
    let sawEvent = false;
    const again = (reason: string) => {
      if (stopped) return;
      dispose = null;
      if (sawEvent) failures = 0;
      const wait = Math.min(30_000, 1000 * 2 ** failures);
      failures += 1;
      h.lost(reason, wait);
      timer = setTimeout(() => {
        attempt += 1;
        start();
      }, wait);
    };
    h.connected(attempt);
    dispose = client.subscribe<T>(
      { query, variables },
      {
        next: (v) => {
          sawEvent = true;
          failures = 0;
          if (v.errors?.length) {
            again(v.errors.map((e) => e.message).join('; '));
            dispose?.();
            return;
          }
          if (v.data) h.next(v.data as T);
        },
        error: (err) => again(errorText(err)),
        complete: () => again('the stream ended'),
      },
    );
  };
  start();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      dispose?.();
      client.dispose();
    },
  };
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (Array.isArray(err)) return err.map((e) => (e as GqlError).message).join('; ');
  if (err && typeof err === 'object' && 'message' in err) return String((err as GqlError).message);
  return 'connection lost';
}
