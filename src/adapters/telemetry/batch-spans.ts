import { type Context, context, type Link, trace } from '@opentelemetry/api'
import type { BatchScope } from '../../ports/batch-scope.js'
import { withoutApiKey } from './caller.js'
import { recordFailure } from './failures.js'

const tracer = trace.getTracer('internal-transfers')

/** How many requests the batch carried. */
export const ATTR_BATCH_SIZE = 'app.batch.size'

/**
 * Batches in traces. A request travelling alone runs its statements in its own context, so its
 * trace reads as before batching: HTTP server span → use-case span → statements. A batch of
 * several gets a span of its own (`ledger-batch`, with `app.batch.size`), parented to the first
 * recorded request it carries, with the statements as its children; every other request's span
 * links to it and it links back to each, so Jaeger leads from any request to the transaction that
 * committed it.
 */
export const batchSpans: BatchScope = {
  capture: () => context.active(),

  enter: (captured, work) => {
    const contexts = captured as Context[]
    const [only] = contexts
    if (contexts.length === 1 && only) return context.with(only, work)
    const recorded = contexts.filter((carried) => trace.getSpan(carried)?.isRecording())
    // The batch serves the requests of every key it carries: its spans name none of them.
    const parent = withoutApiKey(recorded[0] ?? contexts[0] ?? context.active())
    const links: Link[] = recorded.slice(1).flatMap((carried) => {
      const span = trace.getSpan(carried)
      return span ? [{ context: span.spanContext() }] : []
    })
    return tracer.startActiveSpan('ledger-batch', { attributes: { [ATTR_BATCH_SIZE]: contexts.length }, links }, parent, async (span) => {
      for (const carried of recorded.slice(1)) trace.getSpan(carried)?.addLink({ context: span.spanContext() })
      try {
        return await work()
      } catch (error) {
        recordFailure(span, error)
        throw error
      } finally {
        span.end()
      }
    })
  },
}
