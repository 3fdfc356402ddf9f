import { diag } from '@opentelemetry/api'
import { getNumberFromEnv, getStringFromEnv, getStringListFromEnv } from '@opentelemetry/core'
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http'
import { OTLPMetricExporter as ProtobufMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto'
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { convertLegacyHttpOptions } from '@opentelemetry/otlp-exporter-base/node-http'
import { type IMetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import type { SpanExporter } from '@opentelemetry/sdk-trace-base'

/** The OTLP encodings this service can send; the first is the default. */
const PROTOCOLS = ['http/json', 'http/protobuf'] as const
type Protocol = (typeof PROTOCOLS)[number]

/**
 * OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else http/json. The
 * SDK's own default is http/protobuf; JSON stays the default here because it is what this
 * service has always sent and every OTLP/HTTP receiver takes it. An unsupported value (grpc,
 * a typo) falls back to http/json with a diagnostic, as the SDK does for its other variables.
 */
function protocolFor(signal: 'TRACES' | 'METRICS'): Protocol {
  const wanted = (getStringFromEnv(`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`) ?? getStringFromEnv('OTEL_EXPORTER_OTLP_PROTOCOL'))?.trim()
  if (wanted === undefined || wanted === '') return PROTOCOLS[0]
  if ((PROTOCOLS as readonly string[]).includes(wanted)) return wanted as Protocol
  diag.warn(`OTLP protocol "${wanted}" is not supported; using ${PROTOCOLS[0]} (supported: ${PROTOCOLS.join(', ')})`)
  return PROTOCOLS[0]
}

/**
 * The URL an OTLP exporter of `signal` posts to, resolved by the exporters' own parser:
 * OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT as given, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/<signal>,
 * else http://localhost:4318/v1/<signal>.
 */
function otlpUrl(signal: 'TRACES' | 'METRICS'): string {
  return convertLegacyHttpOptions({}, signal, `v1/${signal.toLowerCase()}`, {}).url
}

export interface Destination {
  /** What an operator reads at start-up, e.g. `otlp http/json http://localhost:4318/v1/traces`. */
  description: string
}

/** The span exporter named by the environment, and where it sends. */
export function traceExporterFromEnv(): { exporter: SpanExporter } & Destination {
  const protocol = protocolFor('TRACES')
  const exporter = protocol === 'http/protobuf' ? new ProtobufTraceExporter() : new JsonTraceExporter()
  return { exporter, description: `otlp ${protocol} ${otlpUrl('TRACES')}` }
}

/** The Prometheus exporter's default port, as OTEL_EXPORTER_PROMETHEUS_PORT defaults it. */
const PROMETHEUS_PORT = 9464

/**
 * The metric readers named by OTEL_METRICS_EXPORTER (a list; default `prometheus`, the SDK's own
 * default being otlp): `prometheus` serves /metrics on OTEL_EXPORTER_PROMETHEUS_HOST (all
 * interfaces) and OTEL_EXPORTER_PROMETHEUS_PORT (9464), on a server of its own, so scrapes never
 * queue behind API requests; `otlp` pushes every OTEL_METRIC_EXPORT_INTERVAL (60 s) to the OTLP
 * endpoint; `none` records nothing. `onListenError` hears of a Prometheus port that cannot be bound.
 */
export function metricReadersFromEnv(onListenError: (error: Error) => void): { readers: IMetricReader[] } & Destination {
  const names = [...new Set(getStringListFromEnv('OTEL_METRICS_EXPORTER') ?? [])].filter(Boolean)
  if (names.length === 0) names.push('prometheus')
  if (names.includes('none')) return { readers: [], description: 'none' }
  const readers: IMetricReader[] = []
  const described: string[] = []
  for (const name of names) {
    if (name === 'prometheus') {
      const port = getNumberFromEnv('OTEL_EXPORTER_PROMETHEUS_PORT') || PROMETHEUS_PORT
      const host = getStringFromEnv('OTEL_EXPORTER_PROMETHEUS_HOST')
      readers.push(new PrometheusExporter({ port, ...(host ? { host } : {}) }, (error) => error && onListenError(error)))
      described.push(`prometheus http://${host ?? '0.0.0.0'}:${port}/metrics`)
    } else if (name === 'otlp') {
      const protocol = protocolFor('METRICS')
      const exporter = protocol === 'http/protobuf' ? new ProtobufMetricExporter() : new JsonMetricExporter()
      const interval = getNumberFromEnv('OTEL_METRIC_EXPORT_INTERVAL') || 60_000
      // The reader refuses a timeout longer than its interval.
      readers.push(new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: interval, exportTimeoutMillis: Math.min(interval, 30_000) }))
      described.push(`otlp ${protocol} ${otlpUrl('METRICS')}`)
    } else {
      diag.warn(`OTEL_METRICS_EXPORTER "${name}" is not supported (supported: prometheus, otlp, none)`)
    }
  }
  return { readers, description: described.join(', ') || 'none' }
}
