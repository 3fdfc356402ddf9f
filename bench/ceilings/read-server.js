// @ts-check
// Ceiling (b): the least a cached read can cost here. A bare Fastify route that reads the
// account's key from Redis with ioredis and answers the same JSON, with none of the service's
// layers. Run as its own process, like the service: PORT, REDIS_URL and REDIS_KEY_PREFIX.
import Fastify from 'fastify'
import { Redis } from 'ioredis'

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: true })
const prefix = process.env.REDIS_KEY_PREFIX ?? ''
const app = Fastify()

app.get('/v1/accounts/:account_id', async (request, reply) => {
  const id = /** @type {{ account_id: string }} */ (request.params).account_id
  const value = await redis.get(`${prefix}account:${id}`)
  if (value === null) return reply.code(404).send({ code: 'ACCOUNT_NOT_FOUND' })
  return { account_id: Number(id), balance: value.slice(value.indexOf(':') + 1) }
})
app.get('/readyz', async () => ({ status: 'ready' }))

await app.listen({ port: Number(process.env.PORT ?? 9998), host: '127.0.0.1' })
process.once('SIGTERM', () => {
  void app.close().then(() => redis.disconnect())
})
