import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { TransferFunds } from '../../../app/transfer-funds.js'
import { Money } from '../../../domain/money.js'
import { RequestError } from '../problems.js'
import { Problem, TransferBody, TransferView } from '../schemas.js'
import { toTransferView } from '../views.js'

export interface TransferRoutesOptions {
  transferFunds: TransferFunds
}

export const transferRoutes: FastifyPluginAsyncTypebox<TransferRoutesOptions> = async (app, { transferFunds }) => {
  app.post(
    '/v1/transfers',
    {
      schema: {
        summary: 'Move money from one account to another',
        tags: ['transfers'],
        body: TransferBody,
        response: { 201: TransferView, 400: Problem, 404: Problem, 422: Problem, 503: Problem },
      },
    },
    async (request, reply) => {
      const amount = Money.parse(request.body.amount)
      if (!amount) throw new RequestError('VALIDATION_FAILED', 'body.amount is not a valid amount')
      const { transfer } = await transferFunds({
        sourceAccountId: request.body.source_account_id,
        destinationAccountId: request.body.destination_account_id,
        amount,
      })
      return reply.code(201).send(toTransferView(transfer))
    },
  )
}
