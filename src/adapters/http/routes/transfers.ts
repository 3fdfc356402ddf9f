import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { GetTransfer } from '../../../app/get-transfer.js'
import type { TransferFunds } from '../../../app/transfer-funds.js'
import type { Reserved, Transferred } from '../../../domain/batch.js'
import { Money } from '../../../domain/money.js'
import { DEFAULT_TIMEOUT_S } from '../../../domain/pending.js'
import { creatorOf, mayDebit, seesTransfer } from '../access.js'
import { IDEMPOTENCY_DESCRIPTION, IdempotencyHeaders, idempotencyOf, sendSaved } from '../idempotency.js'
import { RequestError } from '../problems.js'
import { AUTHENTICATED, EVERY_ROUTE, JSON_BODY, json, READS_DATABASE, responses, WRITES_DATABASE } from '../responses.js'
import { TransferBody, TransferIdParams, TransferView } from '../schemas.js'
import { toTransferView } from '../views.js'

export interface TransferRoutesOptions {
  transferFunds: TransferFunds
  getTransfer: GetTransfer
}

export const transferRoutes: FastifyPluginAsyncTypebox<TransferRoutesOptions> = async (app, options) => {
  app.post(
    '/v1/transfers',
    {
      config: { scope: 'transfers:write' },
      schema: {
        operationId: 'transferFunds',
        summary: 'Move money from one account to another, or reserve it (pending)',
        description:
          'One MariaDB transaction: both balances and the transfer record change together or not at all. ' +
          'With `pending: true` the amount is reserved instead: the source\'s available balance drops, the destination shows a ' +
          'pending credit, until POST /v1/transfers/{transfer_id}/post or /void, or `timeout_s`. Funds are judged on the available balance. ' +
          IDEMPOTENCY_DESCRIPTION,
        tags: ['transfers'],
        headers: IdempotencyHeaders,
        body: TransferBody,
        response: responses({
          success: { 201: json('The transfer, committed (status posted, or pending with expires_at)', TransferView) },
          codes: [
            ...EVERY_ROUTE,
            ...AUTHENTICATED,
            'ACCOUNT_FORBIDDEN',
            ...JSON_BODY,
            ...WRITES_DATABASE,
            'SAME_ACCOUNT',
            'ACCOUNT_NOT_FOUND',
            'INSUFFICIENT_FUNDS',
            'BALANCE_LIMIT_EXCEEDED',
          ],
          replayable: true,
        }),
      },
    },
    async (request, reply) => {
      const amount = Money.parse(request.body.amount)
      if (!amount) throw new RequestError('VALIDATION_FAILED', 'body.amount is not a valid amount')
      const { pending = false, timeout_s: timeoutS } = request.body
      if (!pending && timeoutS !== undefined) throw new RequestError('VALIDATION_FAILED', 'body.timeout_s applies only with "pending": true')
      mayDebit(request, request.body.source_account_id)
      const result = await options.transferFunds({
        sourceAccountId: request.body.source_account_id,
        destinationAccountId: request.body.destination_account_id,
        amount,
        createdBy: creatorOf(request),
        pending: pending ? { timeoutS: timeoutS ?? DEFAULT_TIMEOUT_S } : undefined,
        idempotency: idempotencyOf<Transferred | Reserved>(request, ({ transfer }) => ({ status: 201, body: JSON.stringify(toTransferView(transfer)) })),
      })
      if (result.kind === 'replayed') return sendSaved(reply, result.response, true)
      if (result.response) return sendSaved(reply, result.response, false)
      return reply.code(201).send(toTransferView(result.value.transfer))
    },
  )

  app.get(
    '/v1/transfers/:transfer_id',
    {
      config: { scope: 'transfers:read' },
      schema: {
        operationId: 'getTransfer',
        summary: 'Read a transfer record',
        tags: ['transfers'],
        params: TransferIdParams,
        response: responses({
          success: { 200: json('The transfer', TransferView) },
          codes: [...EVERY_ROUTE, ...AUTHENTICATED, ...READS_DATABASE, 'TRANSFER_NOT_FOUND'],
        }),
      },
    },
    async (request) => {
      const transfer = await options.getTransfer(request.params.transfer_id.toLowerCase())
      seesTransfer(request, transfer)
      return toTransferView(transfer)
    },
  )
}
