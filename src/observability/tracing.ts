// OpenTelemetry tracing, only when `telemetry.enabled`: the SDK is imported dynamically then, so a
// proxy with tracing off loads none of it and pays nothing per request. One server span per request
// (a client `traceparent` is its parent), one child span per upstream attempt, W3C trace context
// propagated upstream, OTLP/HTTP export to `telemetry.otlp.endpoint`, ratio sampling.
import type { Span, Tracer } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { AttemptEvent, RouterPolicy } from '../routing/policy.js';

export interface Tracing {
  /** Starts the request's span; the outgoing `traceparent` becomes its context. */
  start(request: FastifyRequest): void;
  finish(request: FastifyRequest, reply: FastifyReply, status: number, aborted: boolean): void;
  policy(): RouterPolicy;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The OTLP/HTTP traces URL for a collector endpoint (`http://host:4318` → `.../v1/traces`). */
export function tracesUrl(endpoint: string): string {
  const trimmed = endpoint.replace(/\/+$/, '');
  return trimmed.endsWith('/v1/traces') ? trimmed : `${trimmed}/v1/traces`;
}

export async function createTracing(telemetry: Config['telemetry'], logger: Logger): Promise<Tracing> {
  const [api, core, sdk, resources, otlp] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/core'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  const endpoint = telemetry.otlp.endpoint ?? 'http://127.0.0.1:4318';
  const exporter = new otlp.OTLPTraceExporter({ url: tracesUrl(endpoint), headers: telemetry.otlp.headers });
  const provider = new sdk.BasicTracerProvider({
    resource: resources.resourceFromAttributes({ 'service.name': telemetry.service_name }),
    sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(telemetry.sampling.probability) }),
    spanProcessors: [new sdk.BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
  });
  const tracer: Tracer = provider.getTracer('llm-proxy');
  const propagator = new core.W3CTraceContextPropagator();
  const spans = new Map<string, Span>();
  logger.info({ endpoint: tracesUrl(endpoint), sampling: telemetry.sampling.probability }, 'OpenTelemetry tracing enabled');

  return {
    start(request) {
      const parent = propagator.extract(api.ROOT_CONTEXT, request.headers, api.defaultTextMapGetter);
      const route = request.proxy.route ?? request.url.split('?', 1)[0];
      const span = tracer.startSpan(
        `${request.method} ${route}`,
        { kind: api.SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route, 'llm_proxy.request_id': request.id } },
        parent,
      );
      spans.set(request.id, span);
      const carrier: Record<string, string> = {};
      propagator.inject(api.trace.setSpan(api.ROOT_CONTEXT, span), carrier, api.defaultTextMapSetter);
      // Upstream calls forward the request's traceparent: from now on it names this span.
      if (carrier.traceparent) request.headers.traceparent = carrier.traceparent;
      request.proxy.extra.trace_id = span.spanContext().traceId;
    },

    finish(request, _reply, status, aborted) {
      const span = spans.get(request.id);
      if (!span) return;
      spans.delete(request.id);
      const state = request.proxy;
      span.setAttributes({
        'http.response.status_code': status,
        ...(state.model && { 'gen_ai.request.model': state.model }),
        ...(state.provider && { 'llm_proxy.provider': state.provider }),
        'llm_proxy.attempts': state.attempts,
        ...(state.usage && { 'gen_ai.usage.input_tokens': state.usage.prompt_tokens ?? 0, 'gen_ai.usage.output_tokens': state.usage.completion_tokens ?? 0 }),
        ...(typeof state.extra.cost_usd === 'number' && { 'llm_proxy.cost_usd': state.extra.cost_usd }),
        ...(aborted && { 'llm_proxy.client_aborted': true }),
      });
      if (status >= 500 || state.errorCode) span.setStatus({ code: api.SpanStatusCode.ERROR, message: state.errorCode ?? String(status) });
      span.end();
    },

    policy() {
      return {
        observe(event: AttemptEvent) {
          const parent = spans.get(event.requestId);
          if (!parent) return;
          const end = Date.now();
          const span = tracer.startSpan(
            `attempt ${event.provider}`,
            {
              kind: api.SpanKind.CLIENT,
              startTime: end - event.durationMs,
              attributes: {
                'llm_proxy.provider': event.provider,
                'gen_ai.request.model': event.model,
                'llm_proxy.operation': event.op,
                'llm_proxy.attempt': event.attempt,
                'llm_proxy.retry': event.isRetry,
                'llm_proxy.fallback': event.isFallback,
                ...(event.error?.status != null && { 'http.response.status_code': event.error.status }),
                ...(!event.error && { 'http.response.status_code': 200 }),
              },
            },
            api.trace.setSpan(api.ROOT_CONTEXT, parent),
          );
          if (event.error) span.setStatus({ code: api.SpanStatusCode.ERROR, message: event.error.message });
          span.end(end);
        },
      };
    },

    flush: () => provider.forceFlush(),
    shutdown: async () => {
      for (const span of spans.values()) span.end();
      spans.clear();
      await provider.shutdown();
    },
  };
}
