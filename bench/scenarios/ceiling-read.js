// @ts-check
import { ACCOUNTS } from '../lib/workload.js'
import { reads } from './reads.js'

/** @type {import('../lib/types.js').Scenario} */
export default {
  name: 'ceiling-read',
  describe: 'ceiling (b): a bare Fastify + ioredis GET handler, as its own process, reading the keys `reads` cached',
  target: 'ceiling-read',
  async run(ctx) {
    // It reads the keys the service cached; only the service can put them there.
    const probe = await fetch(`${ctx.base}/v1/accounts/${ACCOUNTS.first}`)
    if (probe.status !== 200) throw new Error('ceiling-read needs the keys that `reads` caches: run it after reads')
    return { ...(await reads(ctx, '(b) ceiling: bare Fastify + ioredis GET')), ceiling: true }
  },
}
