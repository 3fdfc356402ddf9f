import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Readiness } from '../../../ports/readiness.js'
import { RETRY_AFTER_S } from '../../../app/errors.js'
import { json, RETRY_AFTER, responses } from '../responses.js'

const Status = <T extends string>(status: T) => Type.Object({ status: Type.Literal(status) })

export const healthRoutes: FastifyPluginAsyncTypebox<{ readiness: Readiness }> = async (app, { readiness }) => {
  app.get(
    '/livez',
    {
      config: { open: true },
      schema: {
        operationId: 'live',
        summary: 'Liveness: the process runs',
        tags: ['health'],
        response: responses({ success: { 200: json('The process runs', Status('ok')) }, codes: ['INTERNAL_ERROR'] }),
      },
    },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/readyz',
    {
      config: { open: true },
      schema: {
        operationId: 'ready',
        summary: 'Readiness: MariaDB answers',
        description: 'Redis is not part of it: without the cache, reads go to MariaDB.',
        tags: ['health'],
        response: responses({
          success: {
            200: json('MariaDB answers', Status('ready')),
            503: { ...json('MariaDB does not answer within about 1 s; take the instance out of rotation', Status('database unreachable')), headers: { 'Retry-After': RETRY_AFTER } },
          },
          codes: ['INTERNAL_ERROR'],
        }),
      },
    },
    async (_request, reply) =>
      (await readiness.isReady())
        ? reply.send({ status: 'ready' })
        : reply.code(503).header('retry-after', String(RETRY_AFTER_S.unreachable)).send({ status: 'database unreachable' }),
  )
}
