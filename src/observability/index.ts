import { getOperationAST, type ExecutionArgs, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import type { Span } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { GatewayConfig } from '../config.js';
import { GatewayError, UpstreamError } from '../domain/errors.js';
import type { CircuitStateName, UpstreamObserver } from '../http/client.js';
import { createAuditTrail, type AuditEntry } from './audit.js';
import { childCache, createMetrics, statusClass } from './metrics.js';
import type { Tracing } from './tracing.js';

export { createMetrics, type Metrics } from './metrics.js';
export { createAuditTrail, readAuditFile, type AuditEntry, type AuditTrail } from './audit.js';
export { createOpsEndpoints, startMetricsServer, type OpsEndpointsOptions } from './endpoints.js';
export { assignRequestId } from './request-id.js';

export interface ObservabilityOptions {
  logger: Logger;
  clock: Clock;
  /** Traces go to this exporter (tests) instead of the configured OTLP endpoint; tracing is on when given. */
  traceExporter?: SpanExporter;
}

/** What a write reports to the audit trail and the metrics. */
interface WriteFacts {
  requestId: string;
  principal: { name: string } | null;
}

const CIRCUIT_VALUE: Record<CircuitStateName, number> = { closed: 0, 'half-open': 1, open: 2 };

/**
 * Metrics, traces and the audit trail of one gateway. Everything per gateway (registry, tracer
 * provider, audit file): nothing process-wide.
 */
export async function createObservability(config: GatewayConfig, options: ObservabilityOptions) {
  const metrics = createMetrics();
  const tracingConfig = config.tracing ?? (options.traceExporter ? { enabled: true, headers: {}, serviceName: 'model-gateway', sampleRatio: 1 } : undefined);
  const tracing: Tracing | null =
    tracingConfig?.enabled || options.traceExporter
      ? (await import('./tracing.js')).createTracing(tracingConfig!, { exporter: options.traceExporter })
      : null;
  const auditFile = config.audit?.file;
  const audit = createAuditTrail({ file: auditFile && config.baseDir ? resolve(config.baseDir, auditFile) : auditFile, logger: options.logger });

  // With metrics off and no tracing, requests and upstream calls are not observed at all.
  const observing = config.server.metrics.enabled || tracing !== null;
  const observeUpstream = childCache(metrics.upstreamDuration);
  const upstream: UpstreamObserver = {
    start(a) {
      const started = performance.now();
      const traced = tracing?.startUpstream(
        a.requestId,
        () => `${a.method} ${a.route}`,
        () => ({ 'http.request.method': a.method, 'url.template': a.route, 'model_gateway.backend': a.backend, 'http.request.resend_count': a.attempt }),
      );
      return {
        headers: traced?.headers,
        end(status, error) {
          observeUpstream([a.backend, a.method, a.route, statusClass(status)], (performance.now() - started) / 1000);
          if (traced) endUpstreamSpan(traced.span, status, error);
        },
      };
    },
    retry(a, waitMs, rateLimited) {
      metrics.upstreamRetries.inc({ backend: a.backend, method: a.method, route: a.route });
      if (rateLimited) {
        metrics.rateLimitWaits.inc({ backend: a.backend });
        metrics.rateLimitWaitSeconds.inc({ backend: a.backend }, waitMs / 1000);
      }
    },
    circuit(backend, state) {
      metrics.circuitState.set({ backend }, CIRCUIT_VALUE[state]);
    },
  };

  const circuits = new Map<string, CircuitStateName>();
  const observeCircuit = upstream.circuit;
  upstream.circuit = (backend, state) => {
    circuits.set(backend, state);
    observeCircuit(backend, state);
  };

  const backendIds = new Set(config.backends.map((b) => b.id));
  const backendOf = (id: string) => {
    const b = id.slice(0, id.indexOf(':'));
    return backendIds.has(b) ? b : 'unknown';
  };

  return {
    metrics,
    tracing,
    audit,
    /** For the HTTP clients: with metrics off and no tracing, only the circuit state is followed (for /readyz). */
    upstream: observing ? upstream : ({ start: () => undefined, retry() {}, circuit: upstream.circuit } satisfies UpstreamObserver),
    /** The circuit state of a backend as last reported (closed until told otherwise). */
    circuitOf: (backend: string): CircuitStateName => circuits.get(backend) ?? 'closed',
    /** For the watch hub: polls and the lag of delivered events. */
    hub: {
      poll(backend: string, seconds: number, ok: boolean) {
        metrics.hubPolls.inc({ backend, outcome: ok ? 'ok' : 'error' });
        metrics.hubPollDuration.observe({ backend }, seconds);
      },
      delivered(lagMs: number) {
        metrics.deliveryLag.observe(Math.max(0, lagMs) / 1000);
      },
    },
    /**
     * Operations: `plugin`, the envelop plugin every request lane runs (HTTP, fast path, SSE,
     * WebSocket), observes subscriptions; `begin` starts an execution's observation and returns
     * its end (null when nothing is observed), for the gateway's execution hook.
     */
    operations: observing ? useObservability(metrics, tracing) : ({ begin: null, plugin: {} } satisfies OperationObserver),
    /**
     * Runs one write and records it: an audit entry and the write metric, whatever the outcome.
     * `input` is the update input (values are never recorded, only which fields it sets).
     */
    async auditedWrite<T extends { requests: readonly { method: string; path: string }[]; changes: readonly { field: string }[] }>(
      ctx: WriteFacts,
      input: { id: unknown } & Record<string, unknown>,
      run: () => Promise<T>,
    ): Promise<T> {
      const started = performance.now();
      const target = String(input.id);
      const entry = (outcome: string, code: string | null, fields: string[], requests: AuditEntry['requests']): AuditEntry => ({
        at: new Date(options.clock.now()).toISOString(),
        action: 'update',
        keyName: ctx.principal?.name ?? null,
        target,
        fields,
        requests,
        outcome,
        code,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        requestId: ctx.requestId,
        traceId: tracing?.traceIdOf(ctx.requestId) ?? null,
      });
      try {
        const result = await run();
        const e = entry('APPLIED', null, result.changes.map((c) => c.field), result.requests.map((r) => ({ method: r.method, path: r.path })));
        audit.record(e);
        metrics.writes.inc({ backend: backendOf(target), outcome: result.requests.length ? 'APPLIED' : 'UNCHANGED' });
        return result;
      } catch (err) {
        const up = err instanceof UpstreamError ? err : null;
        const outcome = up?.outcome ?? (up ? 'UNKNOWN' : 'REFUSED');
        const code = err instanceof GatewayError ? err.code : 'INTERNAL';
        audit.record(entry(outcome, code, requestedFields(input), up?.request ? [{ method: up.request.method, path: up.request.path }] : []));
        metrics.writes.inc({ backend: backendOf(target), outcome });
        throw err;
      }
    },
    /** Runs a plan's application and records it: one audit line for the plan beside its items' own, and the plan metric. */
    async auditedPlanApply<T extends { items: readonly { outcome: string }[] }>(ctx: WriteFacts, planId: string, run: () => Promise<T>): Promise<T> {
      const started = performance.now();
      const record = (outcome: 'applied' | 'partial' | 'refused', items: Record<string, number> | undefined, code: string | null) => {
        metrics.planApplies.inc({ outcome });
        audit.record({
          at: new Date(options.clock.now()).toISOString(),
          action: 'plan.apply',
          keyName: ctx.principal?.name ?? null,
          target: planId,
          fields: [],
          requests: [],
          outcome: outcome.toUpperCase(),
          code,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
          requestId: ctx.requestId,
          traceId: tracing?.traceIdOf(ctx.requestId) ?? null,
          items,
        });
      };
      try {
        const result = await run();
        const items: Record<string, number> = {};
        for (const i of result.items) items[i.outcome] = (items[i.outcome] ?? 0) + 1;
        record(items.FAILED ? 'partial' : 'applied', items, null);
        return result;
      } catch (err) {
        record('refused', undefined, err instanceof GatewayError ? err.code : 'INTERNAL');
        throw err;
      }
    },
    async close(): Promise<void> {
      await Promise.allSettled([audit.close(), tracing?.close()]);
    },
  };
}

export type Observability = Awaited<ReturnType<typeof createObservability>>;

const NOT_FIELDS = new Set(['id', 'expectedVersion', 'dryRun']);
/** `name`, `tags`, `nemo.configVersion`: what an update input sets, without the values. */
function requestedFields(input: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(input)) {
    if (NOT_FIELDS.has(k) || v === undefined || v === null) continue;
    if (typeof v === 'object' && !Array.isArray(v)) for (const sub of Object.keys(v)) out.push(`${k}.${sub}`);
    else out.push(k);
  }
  return out;
}

function endUpstreamSpan(span: Span, status: number | null, error: UpstreamError | undefined) {
  if (status !== null) span.setAttribute('http.response.status_code', status);
  if (error) span.setStatus({ code: 2, message: error.code });
  span.end();
}

const MAX_OPERATION_NAMES = 500;

type HeadersLike = { get(name: string): string | null };
interface InitialContext {
  requestId?: string;
  request?: { headers?: HeadersLike };
  extra?: unknown;
}

/** Which transport a subscription runs on, from the context the lane built. */
function transportOf(ctx: InitialContext): string {
  if (ctx.extra !== undefined) return 'ws';
  return ctx.request?.headers?.get('accept')?.includes('text/event-stream') ? 'sse' : 'http';
}

export interface OperationObserver {
  /** Starts observing an execution (`op`: its operation, when the caller has found it); returns its end. Null when nothing is observed. */
  begin: ((args: ExecutionArgs, type: string, op?: OperationDefinitionNode | null) => (errors: boolean) => void) | null;
  plugin: Plugin;
}

/**
 * Operation metrics (and, with tracing on, one span per operation): `begin` for an execution (the
 * gateway's one execution hook calls it) and the plugin's onSubscribe, which also counts live
 * subscriptions by transport.
 */
function useObservability(metrics: ReturnType<typeof createMetrics>, tracing: Tracing | null): OperationObserver {
  const observeOperation = childCache(metrics.graphqlDuration);
  // Operation names come from clients: past MAX_OPERATION_NAMES distinct ones, new names count as `other`.
  const names = new Set<string>();
  const labelOf = (name: string) => {
    if (names.has(name)) return name;
    if (names.size >= MAX_OPERATION_NAMES) return 'other';
    names.add(name);
    return name;
  };
  const begin = (args: ExecutionArgs, type: string, op: OperationDefinitionNode | null | undefined = getOperationAST(args.document, args.operationName)) => {
    const started = performance.now();
    const name = op?.name?.value ?? args.operationName ?? 'anonymous';
    const opType = op?.operation ?? type;
    const ctx = args.contextValue as InitialContext;
    const span =
      tracing && ctx.requestId
        ? tracing.startOperation(ctx.requestId, `${opType} ${name}`, { 'graphql.operation.name': name, 'graphql.operation.type': opType, 'model_gateway.request_id': ctx.requestId }, ctx.request?.headers)
        : null;
    return (errors: boolean) => {
      const outcome = errors ? 'error' : 'ok';
      observeOperation([labelOf(name), opType, outcome], (performance.now() - started) / 1000);
      if (span) tracing!.endOperation(ctx.requestId!, span, errors ? 'the result has errors' : null);
    };
  };
  const hasErrors = (result: unknown) => Boolean(result && typeof result === 'object' && (result as { errors?: unknown[] }).errors?.length);
  return {
    begin,
    plugin: {
      onSubscribe({ args }) {
        const done = begin(args, 'subscription');
        const transport = transportOf(args.contextValue as InitialContext);
        return {
          onSubscribeResult({ result }) {
            const streaming = Boolean(result && typeof result === 'object' && Symbol.asyncIterator in result);
            done(!streaming && hasErrors(result));
            if (!streaming) return;
            metrics.subscriptions.inc({ transport });
            let ended = false;
            return {
              onEnd() {
                if (ended) return;
                ended = true;
                metrics.subscriptions.dec({ transport });
              },
            };
          },
        };
      },
    } satisfies Plugin,
  };
}
