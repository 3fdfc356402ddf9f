import type { Meter } from '@opentelemetry/api'
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions'
import type { FastifyInstance } from 'fastify'
import { codeOf } from '../../../app/errors.js'
import { SECONDS } from './buckets.js'
import { Tally } from './tally.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The error that answered the request, if one did (for the metrics' error.type). */
    failure: unknown
  }
}

/**
 * http.server.request.duration by method, route, status (and error.type on 5xx), per the
 * semantic conventions, and `responses.unavailable`: the 503s by reason, the code of what the
 * store ran into (ACQUIRE_TIMEOUT, QUEUE_FULL, ECONNREFUSED, ER_LOCK_DEADLOCK…) or
 * COMMIT_OUTCOME_UNKNOWN.
 */
export class HttpMetrics {
  private readonly duration
  private readonly unavailable
  /** Attribute sets by route, method, status and error: built once each, a bounded set. */
  private readonly attributeSets = new Map<string, Record<string, string | number>>()

  constructor(meter: Meter) {
    this.duration = meter.createHistogram('http.server.request.duration', {
      description: 'Duration of HTTP server requests',
      unit: 's',
      advice: { explicitBucketBoundaries: SECONDS },
    })
    this.unavailable = new Tally(meter, 'responses.unavailable', { description: '503 answers by reason', unit: '{response}' })
  }

  /** Adds the hooks that record every request; an extension for buildServer. */
  readonly measure = (app: FastifyInstance): void => {
    app.decorateRequest('failure', undefined)
    app.addHook('onError', (request, _reply, error, done) => {
      request.failure = error
      done()
    })
    app.addHook('onResponse', (request, reply, done) => {
      const status = reply.statusCode
      const errorType = status >= 500 ? (codeOf(request.failure) ?? 'INTERNAL_ERROR') : undefined
      this.duration.record(reply.elapsedTime / 1000, this.attributes(request.method, request.routeOptions.url, status, request.protocol, errorType))
      if (status === 503) this.unavailable.add({ reason: unavailableReason(request.failure) })
      done()
    })
  }

  private attributes(method: string, route: string | undefined, status: number, scheme: string, errorType: string | undefined) {
    const key = `${method} ${route} ${status} ${scheme} ${errorType}`
    let attributes = this.attributeSets.get(key)
    if (!attributes) {
      attributes = {
        [ATTR_HTTP_REQUEST_METHOD]: method,
        [ATTR_HTTP_RESPONSE_STATUS_CODE]: status,
        [ATTR_URL_SCHEME]: scheme,
        // Unmatched paths carry no route, so clients cannot grow the set.
        ...(route === undefined ? {} : { [ATTR_HTTP_ROUTE]: route }),
        ...(errorType === undefined ? {} : { [ATTR_ERROR_TYPE]: errorType }),
      }
      this.attributeSets.set(key, attributes)
    }
    return attributes
  }
}

/** Codes are driver and system constants, a small fixed vocabulary; anything else is `other`. */
function unavailableReason(error: unknown): string {
  if (codeOf(error) === 'COMMIT_OUTCOME_UNKNOWN') return 'COMMIT_OUTCOME_UNKNOWN'
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code
  return typeof cause === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(cause) ? cause : 'other'
}
