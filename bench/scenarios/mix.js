// @ts-check
import { cannon } from '../lib/cannon.js'
import { toRow } from '../lib/report.js'
import { accounted, verify } from '../lib/transfers.js'
import { AUTH_HEADERS, ensureAccounts, JSON_HEADERS, randomAccount, transferBody } from '../lib/workload.js'

/** @type {import('../lib/types.js').Scenario} */
export default {
  name: 'mix',
  describe: '80 % reads, 20 % transfers among the 10,000 accounts; ledger checked afterwards',
  target: 'service',
  async run(ctx) {
    await ensureAccounts(ctx.base)
    const before = await ctx.ledger?.transfers()
    let created = 0
    const { result, cpu } = await cannon({
      label: 'mix',
      warmup: ctx.warmup,
      pids: ctx.pids,
      options: {
        url: ctx.base,
        connections: ctx.connections,
        duration: ctx.duration,
        headers: AUTH_HEADERS,
        requests: [
          {
            setupRequest: (request) =>
              Math.random() < 0.8
                ? { ...request, method: 'GET', path: `/v1/accounts/${randomAccount()}`, body: undefined }
                : { ...request, method: 'POST', path: '/v1/transfers', headers: JSON_HEADERS, body: transferBody() },
            onResponse: (status) => {
              if (status === 201) created++
            },
          },
        ],
      },
    })
    let note = 'ledger not checked (--url)'
    if (ctx.ledger && before !== undefined) {
      const made = (await ctx.ledger.transfers()) - before
      const { total, conserved } = await ctx.ledger.uniformConserved()
      const unanswered = ctx.connections * (ctx.warmup > 0 ? 2 : 1)
      note = verify(
        accounted(made, created, unanswered) && conserved,
        `${made} transfer rows for ${created} answered 201 (+ ≤ ${unanswered} unanswered); the accounts hold ${total}${conserved ? ', as opened' : ''}`,
      )
    }
    return { ...toRow('mix: 80 % reads, 20 % transfers', ctx.connections, result, cpu), note }
  },
}
