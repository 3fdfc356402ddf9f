import { type Span, SpanStatusCode } from '@opentelemetry/api'
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions'

/**
 * Marks `span` as failed by `error`: status ERROR, the exception recorded, and `error.type` set to
 * the error's stable code when it carries one (StoreUnavailable, driver errors), else its class.
 */
export function recordFailure(span: Span, error: unknown): void {
  const failure = error instanceof Error ? error : new Error(String(error))
  const code = (failure as { code?: unknown }).code
  span.setAttribute(ATTR_ERROR_TYPE, typeof code === 'string' ? code : failure.constructor.name)
  span.recordException(failure)
  span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message })
}
