import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { GetTransfer } from '../../../app/get-transfer.js'
import type { TransferFunds } from '../../../app/transfer-funds.js'
import type { Transferred } from '../../../domain/batch.js'
import { Money } from '../../../domain/money.js'
import { IdempotencyHeaders, idempotencyOf, sendSaved } from '../idempotency.js'
import { RequestError } from '../problems.js'
import { Problem, TransferBody, TransferIdParams, TransferView } from '../schemas.js'
import { toTransferView } from '../views.js'

export interface TransferRoutesOptions {
  transferFunds: TransferFunds
  getTransfer: GetTransfer
}

export const transferRoutes: FastifyPluginAsyncTypebox<TransferRoutesOptions> = async (app, options) => {
  app.post(
    '/v1/transfers',
    {
      schema: {
        summary: 'Move money from one account to another',
        tags: ['transfers'],
        headers: IdempotencyHeaders,
        body: TransferBody,
        response: { 201: TransferView, 400: Problem, 404: Problem, 409: Problem, 422: Problem, 503: Problem },
      },
    },
    async (request, reply) => {
      const amount = Money.parse(request.body.amount)
      if (!amount) throw new RequestError('VALIDATION_FAILED', 'body.amount is not a valid amount')
      const result = await options.transferFunds({
        sourceAccountId: request.body.source_account_id,
        destinationAccountId: request.body.destination_account_id,
        amount,
        idempotency: idempotencyOf<Transferred>(request, ({ transfer }) => ({ status: 201, body: JSON.stringify(toTransferView(transfer)) })),
      })
      if (result.kind === 'replayed') return sendSaved(reply, result.response, true)
      if (result.response) return sendSaved(reply, result.response, false)
      return reply.code(201).send(toTransferView(result.value.transfer))
    },
  )

  app.get(
    '/v1/transfers/:transfer_id',
    {
      schema: {
        summary: 'Read a transfer record',
        tags: ['transfers'],
        params: TransferIdParams,
        response: { 200: TransferView, 400: Problem, 404: Problem },
      },
    },
    async (request) => toTransferView(await options.getTransfer(request.params.transfer_id.toLowerCase())),
  )
}
