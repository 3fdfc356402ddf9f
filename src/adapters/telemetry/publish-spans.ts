import { context, type Link, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api'
import type { PendingEvent } from '../../ports/event-outbox.js'
import { recordFailure } from './failures.js'

const tracer = trace.getTracer('internal-transfers')

/**
 * One PRODUCER span per relayed chunk of events (`events publish`, a root: the relay runs on its own), linked
 * to the span of each transaction that wrote one of its events (the trace context kept in the
 * outbox row), so Jaeger leads from a transfer to its publication. `send` receives the span's own
 * context as headers (`traceparent`) to put on every message, so a consumer can continue the trace.
 */
export async function publishSpan<T>(stream: string, events: readonly PendingEvent[], send: (carrier: Record<string, string>) => Promise<T>): Promise<T> {
  const links: Link[] = []
  const seen = new Set<string>()
  for (const { traceContext } of events) {
    if (!traceContext || seen.has(traceContext)) continue
    seen.add(traceContext)
    const linked = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, { traceparent: traceContext }))
    if (linked) links.push({ context: linked })
  }
  return tracer.startActiveSpan(
    'events publish',
    {
      kind: SpanKind.PRODUCER,
      root: true,
      links,
      attributes: { 'messaging.system': 'nats', 'messaging.destination.name': stream, 'messaging.batch.message_count': events.length },
    },
    async (span) => {
      const carrier: Record<string, string> = {}
      propagation.inject(context.active(), carrier)
      try {
        return await send(carrier)
      } catch (error) {
        recordFailure(span, error)
        throw error
      } finally {
        span.end()
      }
    },
  )
}
