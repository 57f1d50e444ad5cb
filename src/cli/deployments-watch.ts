import type { Command } from 'commander';
import { connect, CliError, EXIT_FAILURE, oneLine, usageError, withGatewayOptions, type GatewayOptions, type GraphQLResponse } from './client.js';
import { parseStatuses } from './deployment-view.js';
import { outputOf, parseDuration, safe, withOutputOptions, type OutputFlags } from './output.js';
import type { CliIo } from './io.js';
import type { TimerHandle } from '../domain/clock.js';

const FORMATS = ['text', 'json'] as const;

const WATCH = `subscription WatchDeployments($ids: [ID!]) {
  modelDeploymentStatusChanged(ids: $ids, emitCurrent: true) {
    __typename
    ... on ModelDeploymentStatusTransition { deployment { id statusMessage } previous current vendorStatus at initial }
    ... on BackendUnavailable { backend code message retryInMs at }
    ... on BackendRecovered { backend at }
  }
}`;

/** One event of WATCH, as its selection asks for it. */
type WatchEvent =
  | { __typename: 'ModelDeploymentStatusTransition'; deployment: { id: string; statusMessage: string | null }; previous: string | null; current: string; vendorStatus: string | null; at: string; initial: boolean }
  | { __typename: 'BackendUnavailable'; backend: string; code: string; message: string; retryInMs: number; at: string }
  | { __typename: 'BackendRecovered'; backend: string; at: string };

interface Current {
  status: string;
  vendorStatus: string | null;
}

interface WatchOptions extends GatewayOptions, OutputFlags {
  until?: string;
  timeout?: string;
  transport?: string;
}

/** One query for every id, so that a wrong or missing id fails before anything is watched. */
function lookup(ids: string[]): { query: string; variables: Record<string, string> } {
  const vars = ids.map((_, i) => `$id${i}: ID!`).join(', ');
  const fields = ids.map((_, i) => `d${i}: modelDeployment(id: $id${i}) { id status vendorStatus }`).join('\n  ');
  return { query: `query WatchTargets(${vars}) {\n  ${fields}\n}`, variables: Object.fromEntries(ids.map((id, i) => [`id${i}`, id])) };
}

export function registerDeploymentsWatch(parent: Command, io: CliIo): void {
  withOutputOptions(
    withGatewayOptions(
      parent
        .command('watch')
        .description('Stream every status transition of deployments live (the present state of each first), until they all reach --until (or Ctrl-C).')
        .argument('<ids...>', 'deployment ids')
        .option('--until <status>', 'exit 0 once every deployment is in this status, e.g. READY; exit 1 if one becomes FAILED first')
        .option('--timeout <duration>', 'give up (exit 1) after this long, e.g. 90s or 10m')
        .option('--transport <sse|ws>', 'subscription transport: server-sent events or WebSocket', 'sse'),
    ),
    FORMATS,
  ).action(async (ids: string[], opts: WatchOptions) => {
    const output = outputOf(opts, FORMATS);
    if (output.jq) throw usageError('--jq: watch prints one JSON object per line (-o json); pipe it to jq instead');
    const until = opts.until ? parseStatuses([opts.until], '--until')[0]! : null;
    const timeoutMs = opts.timeout !== undefined ? parseDuration(opts.timeout) : null;
    if (opts.timeout !== undefined && !timeoutMs) throw usageError(`--timeout ${JSON.stringify(opts.timeout)}: expected a duration such as 90s or 10m`);
    if (opts.transport !== 'sse' && opts.transport !== 'ws') throw usageError(`--transport ${JSON.stringify(opts.transport)}: expected sse or ws`);
    const transport = opts.transport;

    const client = connect(opts, io.env);
    const { query, variables } = lookup(ids);
    const found = await client.request<Record<string, { id: string; status: string; vendorStatus: string | null } | null>>(query, variables);
    if (found.errors?.length) throw new CliError(oneLine(found.errors));
    const current = new Map<string, Current>();
    ids.forEach((id, i) => {
      const d = found.data?.[`d${i}`];
      if (!d) throw new CliError(`${id} not found`);
      current.set(d.id, { status: d.status, vendorStatus: d.vendorStatus });
    });
    const targets = [...current.keys()];
    // The state each id had when the subscription started is printed as its first event; only
    // then can "every deployment is <until>" be said, whatever the lookup above saw.
    const announced = new Set<string>();
    const print = (line: string, event: Record<string, unknown>) => io.stdout.write(output.format === 'json' ? `${JSON.stringify(event)}\n` : `${line}\n`);
    const reached = () => until !== null && targets.every((id) => announced.has(id) && current.get(id)!.status === until);
    const failedOne = () => (until !== null && until !== 'FAILED' ? targets.find((id) => announced.has(id) && current.get(id)!.status === 'FAILED') : undefined);

    await new Promise<void>((resolve, reject) => {
      let settled = false;
      let timer: TimerHandle | null = null;
      let dispose = () => {};
      let offInterrupt = () => {};
      const end = (err?: Error) => {
        if (settled) return;
        settled = true;
        timer?.cancel();
        offInterrupt();
        dispose();
        void client.close().finally(() => (err ? reject(err) : resolve()));
      };
      const onSigint = () => end(until ? new CliError(`interrupted before every deployment was ${until}`, 130) : undefined);
      offInterrupt = io.onInterrupt(onSigint);
      if (timeoutMs) {
        timer = io.clock.setTimer(() => {
          const waiting = [...current].filter(([, c]) => c.status !== until).map(([id, c]) => `${id} is ${c.status}`);
          end(new CliError(`timed out after ${opts.timeout}${waiting.length ? `: ${waiting.join(', ')}` : ''}`, EXIT_FAILURE));
        }, timeoutMs);
      }
      dispose = client.subscribe(WATCH, { ids: targets }, transport, {
        next(res: GraphQLResponse<unknown>) {
          if (settled) return;
          if (res.errors?.length) return end(new CliError(oneLine(res.errors)));
          const ev = (res.data as { modelDeploymentStatusChanged?: WatchEvent } | null)?.modelDeploymentStatusChanged;
          if (!ev) return;
          if (ev.__typename === 'ModelDeploymentStatusTransition') {
            const id = ev.deployment.id;
            // A repeated present state (e.g. after a reconnect) is not a transition.
            if (ev.initial && announced.has(id) && current.get(id)?.status === ev.current) return;
            announced.add(id);
            current.set(id, { status: ev.current, vendorStatus: ev.vendorStatus });
            const vendor = ev.vendorStatus ? ` (${safe(ev.vendorStatus)})` : '';
            const message = ev.deployment.statusMessage ? `: ${safe(ev.deployment.statusMessage)}` : '';
            print(ev.initial ? `${ev.at}  ${safe(id)}  is ${ev.current}${vendor}${message}` : `${ev.at}  ${safe(id)}  ${ev.previous ?? '?'} → ${ev.current}${vendor}${message}`, {
              event: 'status',
              id,
              previous: ev.previous,
              current: ev.current,
              vendorStatus: ev.vendorStatus,
              statusMessage: ev.deployment.statusMessage ?? null,
              initial: ev.initial,
              at: ev.at,
            });
          } else if (ev.__typename === 'BackendUnavailable') {
            io.stderr.write(`warning: backend ${ev.backend} is not answering [${ev.code}]: ${safe(ev.message)}; retrying in ${ev.retryInMs} ms\n`);
          } else if (ev.__typename === 'BackendRecovered') {
            io.stderr.write(`backend ${ev.backend} answers again\n`);
          }
          const failed = failedOne();
          if (failed) {
            const msg = current.get(failed)!;
            return end(new CliError(`${failed} is FAILED${msg.vendorStatus ? ` (${msg.vendorStatus})` : ''}; it will not become ${until} by itself`));
          }
          if (reached()) {
            if (output.format !== 'json') io.stdout.write(`All ${targets.length} deployment${targets.length === 1 ? ' is' : 's are'} ${until}.\n`);
            end();
          }
        },
        error(err: unknown) {
          const message = typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string' ? err.message : undefined;
          const text = Array.isArray(err) ? oneLine(err) : (message ?? (err instanceof Event ? 'the connection failed' : String(err)));
          end(new CliError(`subscription failed: ${text}`));
        },
        complete() {
          end(reached() || !until ? undefined : new CliError('the gateway ended the subscription'));
        },
      });
    });
  });
}
