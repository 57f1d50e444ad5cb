import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type TextMapGetter, type TextMapSetter, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { GatewayConfig } from '../config.js';

export type TracingConfig = NonNullable<GatewayConfig['tracing']>;

export interface TracingOptions {
  /** Spans go here instead of the OTLP endpoint, one by one as they end (tests). */
  exporter?: SpanExporter;
}

const getter: TextMapGetter<{ get(name: string): string | null | undefined }> = {
  keys: () => [],
  get: (carrier, key) => carrier.get(key) ?? undefined,
};
const setter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/**
 * OpenTelemetry tracing for one gateway: its own provider (nothing registered globally) and no
 * context manager. A request's trace context travels as its request id does, as an argument: the
 * operation's span is kept by request id while the operation runs, and the upstream calls made for
 * that request id are its children.
 */
export function createTracing(config: TracingConfig, options: TracingOptions = {}) {
  const exporter = options.exporter ?? new OTLPTraceExporter({ url: config.endpoint, headers: config.headers });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [options.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  const tracer: Tracer = provider.getTracer('model-gateway');
  const propagator = new W3CTraceContextPropagator();
  const operations = new Map<string, Context>();
  // Sampling off: what no client context asks for is not traced, without asking the sampler.
  const rootsOff = config.sampleRatio === 0;

  return {
    /**
     * Starts the span of a GraphQL operation, child of the client's `traceparent` if it sent one.
     * Null when there is nothing to trace: no client context and not sampled (then its upstream
     * calls carry no trace context either, and cost next to nothing).
     */
    startOperation(requestId: string, name: string, attributes: Record<string, string>, headers: { get(name: string): string | null } | undefined): Span | null {
      const incoming = headers?.get('traceparent');
      if (!incoming && rootsOff) return null;
      const parent = incoming ? propagator.extract(ROOT_CONTEXT, headers!, getter) : ROOT_CONTEXT;
      const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
      if (parent === ROOT_CONTEXT && !span.isRecording()) return null;
      operations.set(requestId, trace.setSpan(parent, span));
      return span;
    },
    endOperation(requestId: string, span: Span, error: string | null): void {
      if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
      span.end();
      if (operations.get(requestId) && trace.getSpan(operations.get(requestId)!) === span) operations.delete(requestId);
    },
    /** The trace id of the operation running for this request id, if any. */
    traceIdOf(requestId: string): string | null {
      const ctx = operations.get(requestId);
      const id = ctx ? trace.getSpanContext(ctx)?.traceId : undefined;
      return id ?? null;
    },
    /**
     * A client span for one upstream attempt, and the headers that carry its context to the
     * vendor; null when the call belongs to no traced operation and is not sampled on its own.
     */
    startUpstream(requestId: string | undefined, name: () => string, attributes: () => Record<string, string | number>): { span: Span; headers: Record<string, string> } | null {
      const parent = (requestId !== undefined && operations.get(requestId)) || ROOT_CONTEXT;
      if (parent === ROOT_CONTEXT && rootsOff) return null;
      const span = tracer.startSpan(name(), { kind: SpanKind.CLIENT, attributes: attributes() }, parent);
      if (parent === ROOT_CONTEXT && !span.isRecording()) return null;
      const headers: Record<string, string> = {};
      propagator.inject(trace.setSpan(parent, span), headers, setter);
      return { span, headers };
    },
    async close(): Promise<void> {
      await provider.shutdown();
    },
  };
}

export type Tracing = ReturnType<typeof createTracing>;
