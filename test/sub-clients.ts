/** Subscription clients for tests: the real graphql-sse and graphql-ws client libraries. */
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';

/** Collects events of a subscription until told to stop. */
export interface Collector {
  events: any[];
  waitFor(pred: (events: any[]) => boolean, timeoutMs?: number): Promise<any[]>;
  stop(): void;
}

function collect(subscribe: (sink: { next: (v: any) => void; error: (e: unknown) => void; complete: () => void }) => () => void): Collector {
  const events: any[] = [];
  /** Waits to be checked again when an event arrives: no polling. */
  const waiters = new Set<() => void>();
  const arrived = (e: unknown) => {
    events.push(e);
    for (const check of [...waiters]) check();
  };
  const dispose = subscribe({
    next: (v) => arrived(v.data?.modelDeploymentStatusChanged ?? v.data?.modelDeploymentChanged ?? v),
    error: (e) => arrived({ error: e }),
    complete: () => {},
  });
  return {
    events,
    // The bound is a guard against a hang (a real socket is waited on), never a pace.
    waitFor(pred, timeoutMs = 30_000) {
      if (pred(events)) return Promise.resolve(events);
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pred(events)) return;
          waiters.delete(check);
          clearTimeout(guard);
          resolve(events);
        };
        const guard = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; events so far: ${JSON.stringify(events)}`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    stop: dispose,
  };
}

export function sse(url: string, query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}): Collector {
  const client = createSseClient({ url, headers, retryAttempts: 0 });
  return collect((sink) => client.subscribe({ query, variables }, sink));
}

export function ws(url: string, query: string, variables: Record<string, unknown>, connectionParams: Record<string, unknown> = {}): Collector {
  const client = createWsClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true });
  const c = collect((sink) => client.subscribe({ query, variables }, sink));
  const stop = c.stop;
  c.stop = () => {
    stop();
    void client.dispose();
  };
  return c;
}

/** The non-initial status transitions received, as `PREVIOUS->CURRENT`. */
export const transitions = (events: any[]) =>
  events.filter((e) => e.__typename === 'ModelDeploymentStatusTransition' && !e.initial).map((e) => `${e.previous}->${e.current}`);
