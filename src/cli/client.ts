import type { Agent } from 'undici';
import { Option, type Command } from 'commander';

export const DEFAULT_URL = 'http://127.0.0.1:4000/graphql';

/** Exit codes: 1 = the operation failed, 2 = the command line is wrong. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure the CLI reports as one line on stderr, then exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, EXIT_USAGE);

export interface GatewayOptions {
  url?: string;
  token?: string;
}

/** Adds --url and --token (with their environment variables) to a command that talks to a gateway. */
export function withGatewayOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', `gateway GraphQL endpoint (default: ${DEFAULT_URL}) (env: MODEL_GATEWAY_URL)`))
    .addOption(new Option('--token <key>', 'API key, sent as Authorization: Bearer (env: MODEL_GATEWAY_TOKEN)'));
}

export interface GraphQLErrorShape {
  message: string;
  path?: readonly (string | number)[];
  extensions?: Record<string, unknown>;
}

export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: readonly GraphQLErrorShape[];
}

export type Sink = { next(value: GraphQLResponse<unknown>): void; error(err: unknown): void; complete(): void };

export interface GatewayClient {
  readonly url: string;
  /** The whole response, errors included; throws CliError only when no GraphQL response came back. */
  request<T>(query: string, variables?: Record<string, unknown>, operationName?: string): Promise<GraphQLResponse<T>>;
  /** The data of a response without errors; any GraphQL error becomes a one-line CliError. */
  data<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  subscribe(query: string, variables: Record<string, unknown>, transport: 'sse' | 'ws', sink: Sink, operationName?: string): () => void;
  close(): Promise<void>;
}

/**
 * The transport libraries (undici, graphql-sse, graphql-ws, ws: about a third of the CLI's start)
 * load when a command first talks to a gateway: `--help` and usage errors start without them.
 */
let transports: Promise<typeof import('./transports.js') & { patient: Agent }> | null = null;
function loadTransports() {
  // A bulk apply may wait out a vendor's rate limit for minutes: no client-side timeout on answers.
  return (transports ??= import('./transports.js').then((t) => ({ ...t, patient: new t.Agent({ headersTimeout: 0, bodyTimeout: 0 }) })));
}

/**
 * Headers every CLI request carries: JSON in and out, and the header yoga's CSRF prevention asks
 * of requests that do not come from a browser form.
 */
function headersFor(token: string | undefined): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json',
    'x-graphql-yoga-csrf': 'model-gateway-cli',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
}

export function oneLine(errors: readonly GraphQLErrorShape[]): string {
  const first = errors[0]!;
  const code = typeof first.extensions?.code === 'string' ? ` [${first.extensions.code}]` : '';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
  return `${first.message.split('\n')[0]}${code}${more}`;
}

function unreachable(url: string, err: unknown): CliError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code === 'ECONNREFUSED' ? 'connection refused' : (cause?.code ?? cause?.message ?? (err as Error).message);
  return new CliError(`cannot reach the gateway at ${url} (${why}); is it running? Set --url or MODEL_GATEWAY_URL`);
}

export function connect(opts: GatewayOptions, env: Record<string, string | undefined>): GatewayClient {
  const url = opts.url || env.MODEL_GATEWAY_URL || DEFAULT_URL;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw usageError(`--url ${JSON.stringify(url)} is not an http(s) URL`);
  }
  const token = opts.token || env.MODEL_GATEWAY_TOKEN || undefined;
  const closers: (() => Promise<void> | void)[] = [];

  async function request<T>(query: string, variables?: Record<string, unknown>, operationName?: string): Promise<GraphQLResponse<T>> {
    const { fetch, patient } = await loadTransports();
    let res;
    try {
      res = await fetch(url, { method: 'POST', headers: headersFor(token), body: JSON.stringify({ query, variables, operationName }), dispatcher: patient });
    } catch (err) {
      throw unreachable(url, err);
    }
    const text = await res.text();
    let body: GraphQLResponse<T>;
    try {
      body = JSON.parse(text);
    } catch {
      throw new CliError(`${url} answered ${res.status} with something that is not a GraphQL response: ${text.slice(0, 120).replace(/\s+/g, ' ')}`);
    }
    if (res.status === 401) {
      throw new CliError(`the gateway refused the request: ${body.errors?.[0]?.message ?? 'unauthenticated'} (set --token or MODEL_GATEWAY_TOKEN)`);
    }
    if (!body || typeof body !== 'object' || (!('data' in body) && !('errors' in body))) {
      throw new CliError(`${url} answered ${res.status} with something that is not a GraphQL response`);
    }
    return body;
  }

  return {
    url,
    request,
    async data<T>(query: string, variables?: Record<string, unknown>) {
      const body = await request<T>(query, variables);
      if (body.errors?.length) throw new CliError(oneLine(body.errors));
      return body.data as T;
    },
    subscribe(query, variables, transport, sink, operationName) {
      let stop: (() => void) | null = null;
      let stopped = false;
      loadTransports().then(
        (t) => {
          if (!stopped) stop = subscribeWith(t, query, variables, transport, sink, operationName);
        },
        (err) => sink.error(err),
      );
      return () => {
        stopped = true;
        stop?.();
      };
    },
    async close() {
      await Promise.allSettled(closers.map((c) => c()));
    },
  };

  function subscribeWith(
    { createSseClient, createWsClient, WebSocket }: Awaited<ReturnType<typeof loadTransports>>,
    query: string,
    variables: Record<string, unknown>,
    transport: 'sse' | 'ws',
    sink: Sink,
    operationName?: string,
  ): () => void {
    if (transport === 'ws') {
      const client = createWsClient({
        url: url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
        retryAttempts: 5,
        lazy: true,
      });
      closers.push(() => client.dispose());
      return client.subscribe({ query, variables, operationName }, sink);
    }
    const client = createSseClient({ url, headers: headersFor(token), retryAttempts: 5 });
    closers.push(() => client.dispose());
    return client.subscribe({ query, variables, operationName }, sink);
  }
}

/** Reads `key=value`; the value is JSON when it parses as JSON (numbers, booleans, lists), else the text itself. */
export function parseAssignment(flag: string, text: string): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw usageError(`${flag} ${JSON.stringify(text)}: expected key=value`);
  const key = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // Plain text, e.g. an id or a name.
  }
  return [key, value];
}

/** Collects a repeatable option into a list (commander calls this once per occurrence). */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Lists given as repeated flags or comma-separated values: `--tag a --tag b` = `--tag a,b`. */
export const splitList = (values: string[] | undefined) =>
  (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
