import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { CreateAccount } from '../../app/create-account.js'
import type { GetAccount } from '../../app/get-account.js'
import type { ResolvePendingTransfer } from '../../app/resolve-pending-transfer.js'
import type { TransferBatch } from '../../app/transfer-batch.js'
import type { GetBalanceAt } from '../../app/get-balance-at.js'
import type { GetTransfer } from '../../app/get-transfer.js'
import type { ListAccountTransfers } from '../../app/list-account-transfers.js'
import type { TransferFunds } from '../../app/transfer-funds.js'
import type { Readiness } from '../../ports/readiness.js'
import { type AccessSettings, accessControl, requireAnyKey, SECURITY_SCHEME } from './access.js'
import { DebugAccessLog } from './access-log.js'
import { methodNotAllowed } from './method-not-allowed.js'
import { errorHandler, notFoundHandler } from './problems.js'
import { accountRoutes } from './routes/accounts.js'
import { healthRoutes } from './routes/health.js'
import { pendingTransferRoutes } from './routes/pending-transfers.js'
import { transferBatchRoutes } from './routes/transfer-batches.js'
import { transferRoutes } from './routes/transfers.js'
import { describeSchemaError } from './validation.js'

export interface HttpLimits {
  /** A request's headers must have arrived within it (a slow-loris client is cut with 408). */
  headersTimeoutMs: number
  /** The whole request, body included, must have arrived within it (408 otherwise). */
  requestTimeoutMs: number
  /** An idle keep-alive connection is closed after it. */
  keepAliveTimeoutMs: number
  /** Connections open at once; beyond it new ones are closed at once. */
  maxConnections: number
}

export interface ServerDeps {
  createAccount: CreateAccount
  getAccount: GetAccount
  getBalanceAt: GetBalanceAt
  transferFunds: TransferFunds
  getTransfer: GetTransfer
  resolvePendingTransfer: ResolvePendingTransfer
  transferBatch: TransferBatch
  listAccountTransfers: ListAccountTransfers
  readiness: Readiness
  /** Who may call what, and how often. */
  access: AccessSettings
  /** `open`: /docs for anyone; `key`: for any valid API key; `off`: not served. */
  docs: 'open' | 'key' | 'off'
  /** A pino logger; without one the server logs nothing. */
  logger?: FastifyBaseLogger
  /** Cross-cutting additions (e.g. tracing hooks), applied before the routes. */
  extensions?: ((app: FastifyInstance) => void)[]
  /** Bounds on slow, idle and too many clients; without them, Node's and fastify's defaults. */
  limits?: HttpLimits
}

/**
 * Once close() is called, answers still in flight carry `Connection: close`: otherwise a keep-alive
 * client holds its socket open after its last response and the drain waits for the idle timeout.
 */
function closeConnectionsWhenDraining(app: FastifyInstance): void {
  let draining = false
  app.addHook('preClose', async () => {
    draining = true
  })
  // Callback style: it runs on every response, and an async hook would allocate a promise each time.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close')
    done(null, payload)
  })
}

/**
 * Node answers 408 and closes a connection whose headers or whole request have not arrived in
 * time; it checks every `connectionsCheckingInterval`, so a cut comes at most 1 s after its bound.
 * An idle keep-alive connection is closed after `keepAliveTimeoutMs`; a connection silent for as
 * long as a whole request may take is closed too (a request's own handling is bounded by the
 * request deadline, far shorter).
 */
function clientBounds(limits: HttpLimits) {
  return {
    http: { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: 1000 },
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: limits.requestTimeoutMs,
  }
}

/** Builds the HTTP app without listening, so tests can inject requests or listen on port 0. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: 64 * 1024,
    ajv: {
      // No silent repairs: a wrong type or an unknown field is the client's error to see.
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, verbose: true },
    },
    schemaErrorFormatter: describeSchemaError,
    logController: new DebugAccessLog(),
    ...(deps.limits ? clientBounds(deps.limits) : {}),
  }).withTypeProvider<TypeBoxTypeProvider>()
  if (deps.limits) app.server.maxConnections = deps.limits.maxConnections

  // JSON is the only body this API reads; fastify would otherwise accept text/plain as a string.
  app.removeContentTypeParser('text/plain')
  closeConnectionsWhenDraining(app)
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler(notFoundHandler)
  for (const extend of deps.extensions ?? []) extend(app)
  accessControl(app, deps.access)
  const otherMethods = methodNotAllowed(app)

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'internal-transfers',
        version: '0.1.0',
        description:
          'Account balances and transfers. Money is a decimal string in plain notation, never a JSON number. ' +
          'Errors are RFC 9457 application/problem+json with a stable `code`; besides those each operation lists, ' +
          'a path that does not exist is 404 ROUTE_NOT_FOUND and a method a path does not serve is 405 ' +
          'METHOD_NOT_ALLOWED with an Allow header. Every operation but the health checks needs an API key ' +
          '(`Authorization: Bearer <key>`) holding the scope it names, and is rate limited per key (per client ' +
          'address without a valid key): every answer carries RateLimit-Limit, RateLimit-Remaining and ' +
          'RateLimit-Reset, a 429 Retry-After too. A key limited to some accounts reads the others as 404 and ' +
          'may not open or debit them (403 ACCOUNT_FORBIDDEN).',
      },
      components: {
        securitySchemes: {
          [SECURITY_SCHEME]: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key made with `npm run keys -- create`; each operation names the scope it needs.',
          },
        },
      },
    },
  })
  if (deps.docs !== 'off') {
    await app.register(swaggerUi, { routePrefix: '/docs', ...(deps.docs === 'key' ? { uiHooks: { onRequest: requireAnyKey } } : {}) })
  }

  await app.register(healthRoutes, { readiness: deps.readiness })
  await app.register(accountRoutes, deps)
  await app.register(transferRoutes, deps)
  await app.register(pendingTransferRoutes, deps)
  await app.register(transferBatchRoutes, deps)
  await app.register(otherMethods)
  return app
}
