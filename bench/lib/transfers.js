// @ts-check
// A timed run of transfers against the service, with its ledger checked afterwards.
import { cannon, successes } from './cannon.js'
import { batchMeter } from './batches.js'
import { eventMeter } from './events.js'
import { toRow } from './report.js'
import { JSON_HEADERS } from './workload.js'

/**
 * POSTs transfers for --duration (after the warm-up), `body` giving each one; then `check` is
 * told how many the service accepted over the warm-up and the measured run together, and how
 * many more it may have committed: autocannon stops each run with up to one request per
 * connection still in flight, and does not count their answers. `check` says what it verified,
 * or throws.
 * @param {import('./types.js').Context} ctx
 * @param {{ label: string, workload: 'uniform' | 'hot-pair', body: () => string,
 *   check: (accepted: number, unanswered: number) => Promise<string> }} run
 * @returns {Promise<import('./types.js').Row>}
 */
export async function timedTransfers(ctx, { label, workload, body, check }) {
  const batches = batchMeter(ctx.metricsUrl)
  const events = eventMeter(ctx.metricsUrl)
  /** @type {Awaited<ReturnType<typeof events.stop>>} */
  let relay
  const { result, cpu, warmupSuccesses } = await cannon({
    label,
    warmup: ctx.warmup,
    pids: ctx.pids,
    measured: {
      before: async () => {
        await batches.before()
        await events.start()
      },
      after: async () => {
        relay = await events.stop()
        await batches.after()
      },
    },
    options: {
      url: `${ctx.base}/v1/transfers`,
      connections: ctx.connections,
      duration: ctx.duration,
      method: 'POST',
      headers: JSON_HEADERS,
      requests: [{ setupRequest: (request) => ({ ...request, body: body() }) }],
    },
  })
  const unanswered = ctx.connections * (ctx.warmup > 0 ? 2 : 1)
  const checked = await check(warmupSuccesses + successes(result), unanswered)
  const note = relay ? `${checked}; relay ${relay.perSecond} events/s, outbox lag max ${relay.maxLagMs} ms, at the end ${relay.endLagMs} ms` : checked
  return { ...toRow(label, ctx.connections, result, cpu), workload, batches: batches.result(), note }
}

/** Throws unless `ok`, with what was expected and found. @param {boolean} ok @param {string} what */
export function verify(ok, what) {
  if (!ok) throw new Error(`LEDGER CHECK FAILED: ${what}`)
  return what
}

/** Whether `made` is `accepted` plus at most `unanswered`. @param {number} made @param {number} accepted @param {number} unanswered */
export const accounted = (made, accepted, unanswered) => made >= accepted && made <= accepted + unanswered
