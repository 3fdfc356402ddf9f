import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino'
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources'
import { NodeSDK } from '@opentelemetry/sdk-node'
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions'
import { type WarningLogger, WarningExporter } from './export-warnings.js'
import { metricReadersFromEnv, traceExporterFromEnv } from './exporters.js'
import { describeSampler } from './sampler.js'

interface Running {
  sdk: NodeSDK
  exporter: WarningExporter
  /** Where traces and metrics go and how traces are sampled, logged once a logger exists. */
  destinations: { traces: string; sampler: string; metrics: string }
  /** A Prometheus port that could not be bound before a logger was connected. */
  metricsError?: Error
}

const METRICS_LISTEN_FAILED = 'metrics endpoint could not listen; no metrics are served'

let running: Running | undefined

/**
 * Starts the OpenTelemetry SDK: traces and metrics, no log export. Everything comes from the
 * standard OTEL_* variables, most of them read by the SDK itself: the sampler
 * (OTEL_TRACES_SAMPLER(_ARG), default parentbased_always_on: every trace is recorded and a
 * caller's `traceparent` decision is followed), the collector (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), OTEL_SERVICE_NAME (default internal-transfers) and the
 * batch processor's OTEL_BSP_*. This module picks only the encoding
 * (OTEL_EXPORTER_OTLP_PROTOCOL, see exporters.ts) and the metric readers (OTEL_METRICS_EXPORTER).
 */
export function startTelemetry(): void {
  const traces = traceExporterFromEnv()
  const exporter = new WarningExporter(traces.exporter)
  // The Prometheus server binds asynchronously, usually before main.ts has a logger.
  const metrics = metricReadersFromEnv((error) => {
    const logger = running?.exporter.logger
    if (logger) logger.warn({ reason: error.message }, METRICS_LISTEN_FAILED)
    else if (running) running.metricsError = error
  })
  const sdk = new NodeSDK({
    // Detected attributes (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) override these defaults.
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'internal-transfers' })),
    traceExporter: exporter,
    metricReaders: metrics.readers,
    // Logs stay on stdout; without this the SDK would also export them.
    logRecordProcessors: [],
    // HTTP, SQL and Redis spans come from this service's own adapters (http-spans.ts,
    // client-spans.ts), which skip unsampled requests at once; the generic instrumentations cost
    // every request, sampled or not, about a third of its CPU time (load harness, --tracing).
    instrumentations: [
      // trace_id and span_id on every log line written inside a span; the logs stay on stdout.
      new PinoInstrumentation({ disableLogSending: true }),
    ],
  })
  sdk.start()
  running = { sdk, exporter, destinations: { traces: traces.description, sampler: describeSampler(), metrics: metrics.description } }
}

/** A healthy collector takes the last spans in milliseconds; waiting longer only delays a restart. */
const SHUTDOWN_FLUSH_MS = 2000

/** What main.ts needs of the SDK; a no-op when it was not started (OTEL_SDK_DISABLED=true, no --import). */
export interface Telemetry {
  /**
   * Exports the spans still buffered and stops the SDK, waiting at most two seconds. Resolves false
   * when they were not exported: an unreachable collector's export retries may then still hold the
   * event loop open, so the caller should exit once everything else is closed.
   */
  shutdown(): Promise<boolean>
}

/**
 * Logs where traces and metrics go and which sampler decides, and reports export failures to
 * `logger` from now on (rate-limited).
 */
export function connectTelemetry(logger: WarningLogger & { info(details: object, message: string): void }): Telemetry {
  if (running) {
    running.exporter.logger = logger
    logger.info(running.destinations, 'telemetry')
    if (running.metricsError) logger.warn({ reason: running.metricsError.message }, METRICS_LISTEN_FAILED)
  } else {
    logger.info({ traces: 'off', metrics: 'off' }, 'telemetry off: OTEL_SDK_DISABLED=true, or started without --import of telemetry/register.js')
  }
  return {
    shutdown: async () => {
      if (!running) return true
      let timer: NodeJS.Timeout | undefined
      const deadline = new Promise<'timed out'>((resolve) => {
        timer = setTimeout(() => resolve('timed out'), SHUTDOWN_FLUSH_MS).unref()
      })
      const exported = running.sdk.shutdown().then(
        () => 'flushed' as const,
        () => 'failed' as const, // reported, rate-limited, by the exporter
      )
      const outcome = await Promise.race([exported, deadline])
      clearTimeout(timer)
      if (outcome === 'timed out') logger.warn({ timeoutMs: SHUTDOWN_FLUSH_MS }, 'spans still unexported at shutdown were dropped')
      return outcome === 'flushed'
    },
  }
}
