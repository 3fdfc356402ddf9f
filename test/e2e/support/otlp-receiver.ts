import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { decodeTraceRequest } from './otlp-protobuf.js'

/** One span as the service exported it, with its attributes decoded from OTLP's JSON encoding. */
export interface ReceivedSpan {
  traceId: string
  spanId: string
  /** Undefined for a root span. */
  parentSpanId: string | undefined
  name: string
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: number
  attributes: Record<string, unknown>
  /** The spans this one links to. */
  links: { traceId: string; spanId: string }[]
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string }
  resource: Record<string, unknown>
  scope: string
}

export interface OtlpReceiver {
  /** The value for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string
  /** Every export request that reached the receiver, accepted or not. */
  requests(): number
  /** The content type of each accepted export, in order. */
  contentTypes(): string[]
  spans(): ReceivedSpan[]
  /** Polls until `ready` accepts the spans received so far; fails after `timeoutMs`. */
  waitFor(ready: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>
  close(): Promise<void>
}

interface KeyValue {
  key: string
  value: AnyValue
}
type AnyValue = {
  stringValue?: string
  intValue?: number | string
  doubleValue?: number
  boolValue?: boolean
  arrayValue?: { values?: AnyValue[] }
}
interface ExportRequest {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] }
    scopeSpans?: {
      scope?: { name?: string }
      spans?: {
        traceId: string
        spanId: string
        parentSpanId?: string
        name: string
        kind: number
        attributes?: KeyValue[]
        links?: { traceId: string; spanId: string }[]
        status?: { code?: number; message?: string }
      }[]
    }[]
  }[]
}

function decode(value: AnyValue): unknown {
  if (value.intValue !== undefined) return Number(value.intValue)
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(decode)
  return value.stringValue ?? value.doubleValue ?? value.boolValue
}

function attributes(list: KeyValue[] = []): Record<string, unknown> {
  return Object.fromEntries(list.map(({ key, value }) => [key, decode(value)]))
}

function spansOf(body: ExportRequest): ReceivedSpan[] {
  return (body.resourceSpans ?? []).flatMap((resourceSpans) =>
    (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) =>
      (scopeSpans.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId || undefined,
        name: span.name,
        kind: span.kind,
        attributes: attributes(span.attributes),
        links: (span.links ?? []).map(({ traceId, spanId }) => ({ traceId, spanId })),
        status: { code: span.status?.code ?? 0, ...(span.status?.message ? { message: span.status.message } : {}) },
        resource: attributes(resourceSpans.resource?.attributes),
        scope: scopeSpans.scope?.name ?? '',
      })),
    ),
  )
}

const DECODERS: Record<string, (body: Buffer) => ExportRequest> = {
  'application/json': (body) => JSON.parse(body.toString('utf8')) as ExportRequest,
  'application/x-protobuf': (body) => decodeTraceRequest(body) as ExportRequest,
}

/**
 * A stand-in for the collector: a plain HTTP server that accepts OTLP/HTTP trace exports, JSON or
 * protobuf, on `path` (default /v1/traces) and keeps their spans. Anything else is refused.
 */
export async function startOtlpReceiver({ path = '/v1/traces' } = {}): Promise<OtlpReceiver> {
  const received: ReceivedSpan[] = []
  const contentTypes: string[] = []
  let requests = 0
  const server = createServer((request, response) => {
    requests++
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const type = request.headers['content-type']?.split(';')[0] ?? ''
      const decode = DECODERS[type]
      if (request.method !== 'POST' || request.url !== path || !decode) {
        response.writeHead(request.url === path ? 415 : 404).end()
        return
      }
      contentTypes.push(type)
      received.push(...spansOf(decode(Buffer.concat(chunks))))
      // An empty ExportTraceServiceResponse reads the same in both encodings: no bytes.
      response.writeHead(200, { 'content-type': type }).end()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    contentTypes: () => [...contentTypes],
    spans: () => [...received],
    waitFor: async (ready, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs
      while (!ready(received)) {
        if (Date.now() > deadline) throw new Error(`spans not received in time; got: ${received.map((s) => s.name).join(', ')}`)
        await sleep(25)
      }
      return [...received]
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
