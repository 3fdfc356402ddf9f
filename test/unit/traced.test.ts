import { SpanStatusCode, context, trace } from '@opentelemetry/api'
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { traced } from '../../src/adapters/telemetry/traced.js'
import { InsufficientFunds } from '../../src/domain/errors.js'
import { IdempotencyKeyInUse } from '../../src/app/errors.js'
import { StoreUnavailable } from '../../src/ports/errors.js'

// The real SDK, exporting to memory: what traced() records is what a collector would receive.
const exporter = new InMemorySpanExporter()
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
provider.register()

afterAll(async () => {
  await provider.shutdown()
  trace.disable()
})
beforeEach(() => exporter.reset())

const finished = () => exporter.getFinishedSpans()

describe('traced', () => {
  it('runs the call in an active span carrying its input and result attributes', async () => {
    const inner = trace.getTracer('test')
    const transfer = traced(
      'transfer-funds',
      async (from: number, to: number) => inner.startActiveSpan('statement', (span) => (span.end(), `${from}->${to}`)),
      { input: (from, to) => ({ 'app.source_account.id': from, 'app.destination_account.id': to }), result: (id) => ({ 'app.transfer.id': id }) },
    )

    expect(await transfer(1, 2)).toBe('1->2')

    const [statement, span] = finished()
    expect(span?.name).toBe('transfer-funds')
    expect(span?.attributes).toEqual({
      'app.source_account.id': 1,
      'app.destination_account.id': 2,
      'app.transfer.id': '1->2',
      'app.outcome': 'ok',
    })
    expect(span?.status.code).toBe(SpanStatusCode.UNSET)
    // Work done inside the call is a child of the use-case span.
    expect(statement?.parentSpanContext?.spanId).toBe(span?.spanContext().spanId)
  })

  it('records a domain refusal as the outcome, without marking the span as failed', async () => {
    const refusal = new InsufficientFunds(1)
    const transfer = traced('transfer-funds', async () => Promise.reject(refusal))

    await expect(transfer()).rejects.toBe(refusal)

    const [span] = finished()
    expect(span?.attributes).toEqual({ 'app.outcome': 'INSUFFICIENT_FUNDS' })
    expect(span?.status.code).toBe(SpanStatusCode.UNSET)
    expect(span?.events).toEqual([])
  })

  it('treats an idempotency key still in use as a refusal too', async () => {
    await expect(traced('transfer-funds', async () => Promise.reject(new IdempotencyKeyInUse('busy')))()).rejects.toThrow('busy')
    expect(finished()[0]).toMatchObject({ attributes: { 'app.outcome': 'IDEMPOTENCY_KEY_IN_USE' }, status: { code: SpanStatusCode.UNSET } })
  })

  it('marks any other error, records it, and rethrows it unchanged', async () => {
    const failure = new StoreUnavailable('database unreachable')
    const failing: (id: number) => Promise<never> = async () => Promise.reject(failure)
    const read = traced('get-account', failing, { input: (id) => ({ 'app.account.id': id }) })

    await expect(read(7)).rejects.toBe(failure)

    const [span] = finished()
    expect(span?.attributes).toEqual({ 'app.account.id': 7, 'app.outcome': 'error', 'error.type': 'SERVICE_UNAVAILABLE' })
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'database unreachable' })
    expect(span?.events.map((event) => [event.name, event.attributes?.['exception.message']])).toEqual([
      ['exception', 'database unreachable'],
    ])
  })

  it('names the error type by its class when it has no code', async () => {
    await expect(traced('get-account', async () => Promise.reject(new TypeError('boom')))()).rejects.toThrow('boom')
    expect(finished()[0]?.attributes['error.type']).toBe('TypeError')
  })

  it('runs the call without a span inside a request that is not recorded', async () => {
    const unsampled = trace.wrapSpanContext({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 0 })
    const seen: (string | undefined)[] = []
    const read = traced('get-account', async () => {
      seen.push(trace.getActiveSpan()?.spanContext().spanId)
      return 'answer'
    })

    expect(await context.with(trace.setSpan(context.active(), unsampled), () => read())).toBe('answer')
    expect(seen).toEqual(['00f067aa0ba902b7'])
    expect(finished()).toEqual([])
  })
})
