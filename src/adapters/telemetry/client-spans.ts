import { type Attributes, type Span, SpanKind, trace } from '@opentelemetry/api'
import { tagWithApiKey } from './caller.js'
import { recordFailure } from './failures.js'

const tracer = trace.getTracer('internal-transfers')

/** A client span's name and attributes, built only for spans that are recorded. */
export interface ClientCall {
  name: string
  attributes: Attributes
}

/**
 * Starts a CLIENT span for one call to MariaDB or Redis, as a child of the active span, and returns
 * it; returns undefined when the active span is not recorded (an unsampled request) or there is
 * none (start-up, background repairs). Such calls then cost one lookup, and `describe` runs only
 * for spans that keep what it builds: most requests are not sampled.
 */
export function startClientSpan(describe: () => ClientCall): Span | undefined {
  if (!trace.getActiveSpan()?.isRecording()) return undefined
  const { name, attributes } = describe()
  return tagWithApiKey(tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }))
}

/** Ends a span from startClientSpan, marked as failed when the call failed. */
export function endClientSpan(span: Span | undefined, error?: unknown): void {
  if (!span) return
  if (error) recordFailure(span, error)
  span.end()
}
