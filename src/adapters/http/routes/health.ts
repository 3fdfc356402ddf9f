import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Readiness } from '../../../ports/readiness.js'

const Status = Type.Object({ status: Type.String() })

export const healthRoutes: FastifyPluginAsyncTypebox<{ readiness: Readiness }> = async (app, { readiness }) => {
  app.get('/livez', { schema: { tags: ['health'], response: { 200: Status } } }, async () => ({ status: 'ok' }))

  app.get('/readyz', { schema: { tags: ['health'], response: { 200: Status, 503: Status } } }, async (_request, reply) =>
    (await readiness.isReady())
      ? reply.send({ status: 'ready' })
      : reply.code(503).send({ status: 'database unreachable' }),
  )
}
