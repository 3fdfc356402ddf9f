import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Static } from 'typebox'
import type { TransferBatch } from '../../../app/transfer-batch.js'
import type { BatchApplied } from '../../../domain/batch.js'
import { Money } from '../../../domain/money.js'
import { DEFAULT_TIMEOUT_S } from '../../../domain/pending.js'
import { creatorOf, mayDebit } from '../access.js'
import { IDEMPOTENCY_DESCRIPTION, IdempotencyHeaders, idempotencyOf, sendSaved } from '../idempotency.js'
import { problemOf, RequestError } from '../problems.js'
import { AUTHENTICATED, EVERY_ROUTE, JSON_BODY, json, responses, WRITES_DATABASE } from '../responses.js'
import { TransferBatchBody, TransferBatchView } from '../schemas.js'
import { toTransferView } from '../views.js'

export interface TransferBatchRoutesOptions {
  transferBatch: TransferBatch
}

/** A batch of 1000 transfers takes about 150 KiB of JSON; other routes keep 64 KiB. */
const BATCH_BODY_LIMIT = 512 * 1024

function toBatchView(outcome: BatchApplied): Static<typeof TransferBatchView> {
  return {
    atomic: outcome.atomic,
    results: outcome.outcomes.map((item, index) => {
      if (item.kind !== 'refused') return { index, status: 201 as const, transfer: toTransferView(item.transfer) }
      const problem = problemOf(item.error)
      return { index, status: problem.status, problem }
    }),
  }
}

export const transferBatchRoutes: FastifyPluginAsyncTypebox<TransferBatchRoutesOptions> = async (app, options) => {
  app.post(
    '/v1/transfers/batch',
    {
      bodyLimit: BATCH_BODY_LIMIT,
      config: { scope: 'transfers:write' },
      schema: {
        operationId: 'transferBatch',
        summary: 'Up to 1000 transfers (plain or pending) in one transaction, all or none, or each on its own',
        description:
          'One MariaDB transaction, accounts locked in id order. `atomic: true`: every transfer is applied (201) or none, and the ' +
          'first refusal answers 422 BATCH_ITEM_REFUSED naming its `index` and `item_code`. `atomic: false`: 200 with one result ' +
          'per transfer, in order, each applied (201, with the transfer) or refused (its status and problem). One Idempotency-Key ' +
          `covers the whole batch. ${IDEMPOTENCY_DESCRIPTION}`,
        tags: ['transfers'],
        headers: IdempotencyHeaders,
        body: TransferBatchBody,
        response: responses({
          success: {
            200: json('Not atomic: one result per transfer, in order', TransferBatchView),
            201: json('Atomic: every transfer applied, in order', TransferBatchView),
          },
          codes: [...EVERY_ROUTE, ...AUTHENTICATED, 'ACCOUNT_FORBIDDEN', ...JSON_BODY, ...WRITES_DATABASE, 'BATCH_ITEM_REFUSED'],
          replayable: true,
        }),
      },
    },
    async (request, reply) => {
      const items = request.body.transfers.map((item, index) => {
        const amount = Money.parse(item.amount)
        if (!amount) throw new RequestError('VALIDATION_FAILED', `body.transfers[${index}].amount is not a valid amount`)
        if (!item.pending && item.timeout_s !== undefined) {
          throw new RequestError('VALIDATION_FAILED', `body.transfers[${index}].timeout_s applies only with "pending": true`)
        }
        mayDebit(request, item.source_account_id)
        return {
          sourceAccountId: item.source_account_id,
          destinationAccountId: item.destination_account_id,
          amount,
          pending: item.pending ? { timeoutS: item.timeout_s ?? DEFAULT_TIMEOUT_S } : undefined,
        }
      })
      const status = request.body.atomic ? 201 : 200
      const result = await options.transferBatch({
        items,
        atomic: request.body.atomic,
        createdBy: creatorOf(request),
        idempotency: idempotencyOf<BatchApplied>(request, (outcome) => ({ status, body: JSON.stringify(toBatchView(outcome)) })),
      })
      if (result.kind === 'replayed') return sendSaved(reply, result.response, true)
      if (result.response) return sendSaved(reply, result.response, false)
      return reply.code(status).send(toBatchView(result.value))
    },
  )
}
