import type { Plugin } from 'graphql-yoga';

/** OpenTelemetry tracing of GraphQL operations, exported over OTLP/HTTP. */
export interface Tracing {
  /** The Yoga plugin that opens a span per operation (`query.customerUsage`, `mutation.createEvents`). */
  plugin: Plugin;
  /** Exports the spans still buffered, then stops: called at shutdown. */
  shutdown(): Promise<void>;
}

/** How long a shutdown waits for the last spans to be exported. */
const SHUTDOWN_MS = 5_000;

/**
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is the collector's base URL: traces go to `<endpoint>/v1/traces`, as the
 * OpenTelemetry specification says for that variable.
 */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Registers a tracer provider with a batch span processor and an OTLP/HTTP exporter, and returns the
 * `@envelop/opentelemetry` plugin using it. Everything is imported here, on demand: a server without an endpoint
 * loads none of OpenTelemetry.
 */
export async function startTracing(endpoint: string): Promise<Tracing> {
  const [api, { defaultResource, resourceFromAttributes }, { NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { useOpenTelemetry }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@envelop/opentelemetry'),
  ]);
  // The service's name in every span: `OTEL_SERVICE_NAME` when set (the standard variable), else billing-engine.
  const resource = defaultResource().merge(resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME || 'billing-engine' }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(endpoint) }))] });
  provider.register();
  // The plugin's own context type (its span, under a private symbol) is added by the plugin itself: hence the cast.
  // NOTE: no variables, results or resolver spans (their attributes carry the arguments): an API key created or a
  // customer's data must not end up in a trace. The document is kept only when it has no inline arguments.
  const plugin = useOpenTelemetry({ resolvers: false, variables: false, result: false }, provider, undefined, undefined, 'billing-engine') as Plugin;
  return {
    plugin,
    async shutdown() {
      // An unreachable collector does not hold up a shutdown for the exporter's whole timeout: a few seconds at most.
      let timer: NodeJS.Timeout | undefined;
      const bounded = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_MS)));
      await Promise.race([provider.shutdown().catch(() => {}), bounded]);
      clearTimeout(timer);
      // Unregistered too, so that a later start in the same process (tests) can register its own.
      api.trace.disable();
      api.context.disable();
      api.propagation.disable();
    },
  };
}
