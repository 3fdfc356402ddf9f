/**
 * Decodes an OTLP ExportTraceServiceRequest from protobuf into the JSON shape of OTLP/HTTP, with
 * a protobuf wire reader of its own: the check does not share code with the encoder it checks.
 * Only the fields the tests read are decoded (opentelemetry-proto, trace/v1 and common/v1):
 *
 *   ExportTraceServiceRequest  1 resource_spans
 *   ResourceSpans              1 resource (1 attributes), 2 scope_spans
 *   ScopeSpans                 1 scope (1 name), 2 spans
 *   Span                       1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 9 attributes, 15 status
 *   Status                     2 message, 3 code
 *   KeyValue                   1 key, 2 value
 *   AnyValue                   1 string, 2 bool, 3 int, 4 double, 5 array (1 values)
 */
type Field = { number: number; varint?: bigint; bytes?: Uint8Array; fixed64?: DataView }

function* fields(buffer: Uint8Array): Generator<Field> {
  let at = 0
  const varint = (): bigint => {
    let result = 0n
    for (let shift = 0n; ; shift += 7n) {
      const byte = buffer[at++]
      if (byte === undefined) throw new Error('truncated varint')
      result |= BigInt(byte & 0x7f) << shift
      if ((byte & 0x80) === 0) return result
    }
  }
  while (at < buffer.length) {
    const tag = Number(varint())
    const number = tag >>> 3
    switch (tag & 7) {
      case 0:
        yield { number, varint: varint() }
        break
      case 1:
        yield { number, fixed64: new DataView(buffer.buffer, buffer.byteOffset + at, 8) }
        at += 8
        break
      case 2: {
        const length = Number(varint())
        yield { number, bytes: buffer.subarray(at, at + length) }
        at += length
        break
      }
      case 5:
        at += 4
        break
      default:
        throw new Error(`unsupported wire type in tag ${tag}`)
    }
  }
}

const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('utf8')
const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('hex')

function anyValue(buffer: Uint8Array): Record<string, unknown> {
  for (const field of fields(buffer)) {
    if (field.number === 1) return { stringValue: text(field.bytes) }
    if (field.number === 2) return { boolValue: field.varint === 1n }
    if (field.number === 3) return { intValue: String(BigInt.asIntN(64, field.varint ?? 0n)) }
    if (field.number === 4) return { doubleValue: field.fixed64?.getFloat64(0, true) }
    if (field.number === 5) {
      const values = [...fields(field.bytes ?? new Uint8Array())].filter((f) => f.number === 1).map((f) => anyValue(f.bytes!))
      return { arrayValue: { values } }
    }
  }
  return {}
}

function keyValues(list: Field[]): { key: string; value: Record<string, unknown> }[] {
  return list.map((field) => {
    let key = ''
    let value = {}
    for (const inner of fields(field.bytes!)) {
      if (inner.number === 1) key = text(inner.bytes)
      if (inner.number === 2) value = anyValue(inner.bytes!)
    }
    return { key, value }
  })
}

const children = (buffer: Uint8Array | undefined, number: number) => [...fields(buffer ?? new Uint8Array())].filter((f) => f.number === number)
const first = (buffer: Uint8Array | undefined, number: number) => children(buffer, number)[0]

function span(buffer: Uint8Array): Record<string, unknown> {
  const status = first(buffer, 15)?.bytes
  return {
    traceId: hex(first(buffer, 1)?.bytes),
    spanId: hex(first(buffer, 2)?.bytes),
    parentSpanId: hex(first(buffer, 4)?.bytes),
    name: text(first(buffer, 5)?.bytes),
    kind: Number(first(buffer, 6)?.varint ?? 0n),
    attributes: keyValues(children(buffer, 9)),
    status: { code: Number(first(status, 3)?.varint ?? 0n), message: text(first(status, 2)?.bytes) },
  }
}

/** The request in OTLP/JSON's shape, so one decoder of spans serves both encodings. */
export function decodeTraceRequest(body: Uint8Array): unknown {
  return {
    resourceSpans: children(body, 1).map((resourceSpans) => ({
      resource: { attributes: keyValues(children(first(resourceSpans.bytes, 1)?.bytes, 1)) },
      scopeSpans: children(resourceSpans.bytes, 2).map((scopeSpans) => ({
        scope: { name: text(first(first(scopeSpans.bytes, 1)?.bytes, 1)?.bytes) },
        spans: children(scopeSpans.bytes, 2).map((s) => span(s.bytes!)),
      })),
    })),
  }
}
