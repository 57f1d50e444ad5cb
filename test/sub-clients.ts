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
  const dispose = subscribe({
    next: (v) => events.push(v.data?.modelDeploymentStatusChanged ?? v.data?.modelDeploymentChanged ?? v),
    error: (e) => events.push({ error: e }),
    complete: () => {},
  });
  return {
    events,
    async waitFor(pred, timeoutMs = 5000) {
      const start = Date.now();
      while (!pred(events)) {
        if (Date.now() - start > timeoutMs) throw new Error(`timed out; events so far: ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return events;
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
