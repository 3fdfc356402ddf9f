import { type Context, context, createContextKey, type Span } from '@opentelemetry/api'

/** The id of the API key a request was made with, never its secret. */
export const ATTR_API_KEY_ID = 'app.api_key.id'

const CALLER = createContextKey('internal-transfers api key id')

/** `parent` with the request's API key id, so that every span started inside it carries the id. */
export function withApiKey(parent: Context, keyId: string): Context {
  return parent.setValue(CALLER, keyId)
}

/** `parent` without an API key id: for a span that serves the requests of several keys (a batch). */
export function withoutApiKey(parent: Context): Context {
  return parent.getValue(CALLER) === undefined ? parent : parent.deleteValue(CALLER)
}

/** Gives a span just started the API key id of the request it was started in, if any. */
export function tagWithApiKey(span: Span): Span {
  const keyId = context.active().getValue(CALLER)
  if (typeof keyId === 'string') span.setAttribute(ATTR_API_KEY_ID, keyId)
  return span
}
