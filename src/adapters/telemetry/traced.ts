import { type Attributes, type Span, trace } from '@opentelemetry/api'
import { codeOf, isClientFault } from '../../app/errors.js'
import { tagWithApiKey } from './caller.js'
import { recordFailure } from './failures.js'

const tracer = trace.getTracer('internal-transfers')

/** `ok`, the code of a refusal (e.g. INSUFFICIENT_FUNDS), or `error`. */
const ATTR_APP_OUTCOME = 'app.outcome'

export interface SpanAttributes<A extends unknown[], R> {
  /** Known before the call, e.g. the account ids. */
  input?: (...args: A) => Attributes
  /** Known once the call succeeded, e.g. the transfer id. */
  result?: (result: R) => Attributes
}

/**
 * Runs every call of `fn` inside an active span named `name`, so the SQL statements and Redis
 * commands it issues become the span's children. A call made within an unsampled request runs
 * without one, as the sampler would drop it anyway. A client fault in the error registry (a domain
 * rule, an idempotency key misused or still in use) is an answer, not a failure: its code becomes
 * `app.outcome` and the status stays unset. Any other error marks the span ERROR, is recorded as an exception and sets
 * `error.type`. Errors are rethrown unchanged: what the client sees is still decided by the HTTP
 * layer alone.
 */
export function traced<A extends unknown[], R>(
  name: string,
  fn: (...args: A) => Promise<R>,
  attributes: SpanAttributes<A, R> = {},
): (...args: A) => Promise<R> {
  return (...args) =>
    // Inside a request that is not recorded, the span would not be either: skip its cost.
    trace.getActiveSpan()?.isRecording() === false
      ? fn(...args)
      : tracer.startActiveSpan(name, { attributes: attributes.input?.(...args) ?? {} }, (span) => run(tagWithApiKey(span), fn, args, attributes))
}

async function run<A extends unknown[], R>(span: Span, fn: (...args: A) => Promise<R>, args: A, attributes: SpanAttributes<A, R>) {
  try {
    const result = await fn(...args)
    // Skip building attributes nobody records.
    if (span.isRecording()) span.setAttributes({ ...attributes.result?.(result), [ATTR_APP_OUTCOME]: 'ok' })
    return result
  } catch (error) {
    if (isClientFault(error)) {
      span.setAttribute(ATTR_APP_OUTCOME, codeOf(error) ?? 'refused')
    } else {
      span.setAttribute(ATTR_APP_OUTCOME, 'error')
      recordFailure(span, error)
    }
    throw error
  } finally {
    span.end()
  }
}
