import { trace } from '@opentelemetry/api'
import { ATTR_HTTP_ROUTE } from '@opentelemetry/semantic-conventions'
import type { FastifyInstance } from 'fastify'

/**
 * Names the HTTP server span after the matched route (`POST /v1/transfers`) and sets `http.route`,
 * as the semantic conventions ask. The HTTP instrumentation opens that span before routing, so it
 * knows only the method; Fastify knows the route template by onRequest. One hook and no span of
 * its own: @fastify/otel would add a span per request (marked ERROR for any 4xx) for the same result.
 */
export function nameServerSpansByRoute(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url
    const span = trace.getActiveSpan()
    if (route !== undefined && span?.isRecording()) {
      span.setAttribute(ATTR_HTTP_ROUTE, route)
      span.updateName(`${request.method} ${route}`)
    }
    done()
  })
}
