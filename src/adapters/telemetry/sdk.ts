import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino'
import { getStringFromEnv } from '@opentelemetry/core'
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources'
import { NodeSDK } from '@opentelemetry/sdk-node'
import { ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base'
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions'
import { type WarningLogger, WarningExporter } from './export-warnings.js'

let running: { sdk: NodeSDK; exporter: WarningExporter } | undefined

/**
 * Without OTEL_TRACES_SAMPLER: one new trace in ten is recorded, and a caller's sampling decision
 * (the traceparent flag) is always followed. Recording every request costs about a third of the
 * read throughput (see the load harness's --tracing), a price to choose with OTEL_TRACES_SAMPLER=always_on.
 */
const DEFAULT_SAMPLER = () => new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) })

/**
 * Starts the OpenTelemetry SDK for traces only. Everything else comes from the standard OTEL_*
 * variables, read by the SDK: the collector (OTEL_EXPORTER_OTLP_ENDPOINT, default
 * http://localhost:4318, spans sent as JSON to /v1/traces), OTEL_SERVICE_NAME (default
 * internal-transfers), OTEL_TRACES_SAMPLER(_ARG) (default: see DEFAULT_SAMPLER) and the batch
 * processor's OTEL_BSP_*.
 */
export function startTelemetry(): void {
  const exporter = new WarningExporter(new OTLPTraceExporter())
  const sdk = new NodeSDK({
    // Detected attributes (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) override these defaults.
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'internal-transfers' })),
    traceExporter: exporter,
    ...(getStringFromEnv('OTEL_TRACES_SAMPLER') === undefined ? { sampler: DEFAULT_SAMPLER() } : {}),
    // Traces only: without these the SDK would also export logs and metrics by default.
    metricReaders: [],
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
  running = { sdk, exporter }
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

/** Reports export failures to `logger` from now on (rate-limited). */
export function connectTelemetry(logger: WarningLogger): Telemetry {
  if (running) running.exporter.logger = logger
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
