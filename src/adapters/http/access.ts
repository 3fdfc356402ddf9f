import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AccountForbidden, InsufficientScope, RateLimited, Unauthenticated } from '../../app/errors.js'
import { ANYONE, type Authenticate, type Caller } from '../../app/authenticate.js'
import { type Scope, covers, holds } from '../../domain/access.js'
import type { AccountId } from '../../domain/account.js'
import { AccountNotFound, TransferNotFound } from '../../domain/errors.js'
import type { Transfer } from '../../domain/transfer.js'
import type { RateDecision, RatePolicy, TokenBuckets } from '../../ports/token-buckets.js'
import { lazyChildLogger } from './lazy-child-logger.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling, once onRequest has found out; null for a request without a valid key. */
    caller: Caller | null
  }
  interface FastifyContextConfig {
    /** The scope a route needs; routes without one are public (but rate limited). */
    scope?: Scope
    /** Neither authenticated nor rate limited: the health checks. */
    open?: boolean
  }
}

export interface AccessSettings {
  /** Undefined: authentication is off and every request may do everything. */
  authenticate: Authenticate | undefined
  buckets: TokenBuckets
  /** Per API key; undefined: not limited. */
  perKey: RatePolicy | undefined
  /** Per client address, for requests without a valid key; with authentication off, addresses get `perKey`. */
  perAddress: RatePolicy | undefined
}

/** The scheme name the OpenAPI document gives API keys. */
export const SECURITY_SCHEME = 'apiKey'
const REALM = 'Bearer realm="internal-transfers"'

/**
 * Who may call what, as one onRequest hook on every route but the open ones: (1) the bearer key
 * is checked (authenticate.ts); (2) a token is taken from the caller's bucket, the key's or, with
 * no valid key, the client address's, and every answer carries RateLimit-Limit, -Remaining and
 * -Reset (429 with Retry-After when it is empty); (3) a route with a scope answers 401 with
 * WWW-Authenticate without a valid key and 403 without the scope. Which accounts a key reaches is
 * checked by the routes (reachable, mayDebit), once they have parsed the ids. Request logs of a
 * key carry its id (`api_key_id`), never its text.
 */
export function accessControl(app: FastifyInstance, settings: AccessSettings): void {
  app.decorateRequest('caller', null)
  // Before @fastify/swagger reads the route: the document names the scope each operation needs.
  app.addHook('onRoute', (route) => {
    const scope = route.config?.scope
    if (scope) route.schema = { ...route.schema, security: [{ [SECURITY_SCHEME]: [scope] }] }
  })

  const authorize = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    const scope = request.routeOptions.config.scope
    if (!scope) return done()
    const caller = request.caller
    if (!caller) {
      const presented = request.headers.authorization !== undefined
      reply.header('www-authenticate', presented ? `${REALM}, error="invalid_token"` : REALM)
      return done(new Unauthenticated(presented ? 'The API key is not valid: malformed, unknown or revoked' : 'Send an API key: Authorization: Bearer <key>'))
    }
    if (!holds(caller.grant, scope)) {
      reply.header('www-authenticate', `${REALM}, error="insufficient_scope", scope="${scope}"`)
      return done(new InsufficientScope(scope))
    }
    done()
  }

  const limit = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void, decided: RateDecision) => {
    reply.header('ratelimit-limit', decided.limit).header('ratelimit-remaining', decided.remaining).header('ratelimit-reset', decided.resetSeconds)
    if (decided.allowed) return authorize(request, reply, done)
    reply.header('retry-after', decided.retryAfterSeconds)
    done(new RateLimited(`Too many requests; retry in ${decided.retryAfterSeconds} s`))
  }

  const admit = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void, caller: Caller | undefined) => {
    if (caller) {
      request.caller = caller
      if (caller.keyId !== null) {
        request.log = lazyChildLogger(request.log, { api_key_id: caller.keyId })
        reply.log = request.log
      }
    }
    // A caller is limited as a key; with authentication off, each address is such a caller.
    const policy = caller ? settings.perKey : settings.perAddress
    if (!policy) return authorize(request, reply, done)
    const decided = settings.buckets.take(caller?.keyId ? `key:${caller.keyId}` : `address:${request.ip}`, policy)
    if (decided instanceof Promise) decided.then((answer) => limit(request, reply, done, answer), done)
    else limit(request, reply, done, decided)
  }

  // Callback style, synchronous while the key's lookup and the bucket's lease are fresh: most requests allocate no promise here.
  app.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.config.open) return done()
    const caller = identify(request, settings.authenticate)
    if (caller instanceof Promise) caller.then((found) => admit(request, reply, done, found), done)
    else admit(request, reply, done, caller)
  })
}

function identify(request: FastifyRequest, authenticate: Authenticate | undefined): ReturnType<Authenticate> {
  if (!authenticate) return ANYONE
  const header = request.headers.authorization
  // RFC 9110: the scheme is case-insensitive; one space before the token.
  if (header === undefined || header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined
  return authenticate(header.slice(7))
}

/**
 * For a read: throws AccountNotFound, exactly as for an account that does not exist, unless the
 * caller's key reaches `accountId`, so that a key learns nothing of accounts outside its grant.
 */
export function reachable(request: FastifyRequest, accountId: AccountId): void {
  if (request.caller && !covers(request.caller.grant, accountId)) throw new AccountNotFound(accountId)
}

/** For a transfer read: throws TransferNotFound unless the key reaches its source or its destination. */
export function seesTransfer(request: FastifyRequest, transfer: Transfer): void {
  const grant = request.caller?.grant
  if (grant && !covers(grant, transfer.sourceAccountId) && !covers(grant, transfer.destinationAccountId)) throw new TransferNotFound(transfer.id)
}

/** For a write: throws AccountForbidden (403) unless the caller's key may open or debit `accountId`. */
export function mayDebit(request: FastifyRequest, accountId: AccountId): void {
  if (request.caller && !covers(request.caller.grant, accountId)) throw new AccountForbidden(accountId)
}

/** The id of the key of the request, for the records it creates; undefined with authentication off. */
export function creatorOf(request: FastifyRequest): string | undefined {
  return request.caller?.keyId ?? undefined
}

/** The docs' own hook when they need a key (DOCS=key): any valid key, whatever its scopes. */
export function requireAnyKey(request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void {
  if (request.caller) return done()
  reply.header('www-authenticate', REALM)
  done(new Unauthenticated('Send an API key: Authorization: Bearer <key>'))
}
