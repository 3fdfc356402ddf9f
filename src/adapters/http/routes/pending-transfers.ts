import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ResolvePendingTransfer } from '../../../app/resolve-pending-transfer.js'
import type { Resolved } from '../../../domain/batch.js'
import type { ErrorCode } from '../../../app/errors.js'
import { Money } from '../../../domain/money.js'
import { creatorOf, mayDebit, seesTransfer } from '../access.js'
import { IDEMPOTENCY_DESCRIPTION, IdempotencyHeaders, idempotencyOf, sendSaved } from '../idempotency.js'
import { RequestError } from '../problems.js'
import { AUTHENTICATED, EVERY_ROUTE, JSON_BODY, json, responses, WRITES_DATABASE } from '../responses.js'
import { PostPendingBody, TransferIdParams, TransferView, VoidPendingBody } from '../schemas.js'
import { toTransferView } from '../views.js'

export interface PendingTransferRoutesOptions {
  resolvePendingTransfer: ResolvePendingTransfer
}

/** Refusals of both a post and a void. */
const RESOLVING: ErrorCode[] = [
  ...EVERY_ROUTE,
  ...AUTHENTICATED,
  'ACCOUNT_FORBIDDEN',
  ...JSON_BODY,
  ...WRITES_DATABASE,
  'TRANSFER_NOT_FOUND',
  'NOT_A_PENDING_TRANSFER',
  'TRANSFER_ALREADY_POSTED',
  'TRANSFER_ALREADY_VOIDED',
  'TRANSFER_EXPIRED',
]

const render = ({ transfer }: Resolved<'posted' | 'voided'>) => ({ status: 201, body: JSON.stringify(toTransferView(transfer)) })

/** Resolves the transfer of the path as the caller may (it must see the transfer and may debit its source), and answers. */
async function resolveFor(
  options: PendingTransferRoutesOptions,
  request: FastifyRequest<{ Params: { transfer_id: string } }>,
  reply: FastifyReply,
  action: 'post' | 'void',
  amount?: Money,
) {
  const result = await options.resolvePendingTransfer({
    action,
    pendingTransferId: request.params.transfer_id.toLowerCase(),
    amount,
    authorize: (pending) => {
      seesTransfer(request, pending)
      mayDebit(request, pending.sourceAccountId)
    },
    createdBy: creatorOf(request),
    idempotency: idempotencyOf(request, render),
  })
  if (result.kind === 'replayed') return sendSaved(reply, result.response, true)
  if (result.response) return sendSaved(reply, result.response, false)
  return reply.code(201).send(toTransferView(result.value.transfer))
}

export const pendingTransferRoutes: FastifyPluginAsyncTypebox<PendingTransferRoutesOptions> = async (app, options) => {
  app.post(
    '/v1/transfers/:transfer_id/post',
    {
      config: { scope: 'transfers:write' },
      schema: {
        operationId: 'postPendingTransfer',
        summary: 'Post a pending transfer: move the reserved money (all of it, or `amount`, releasing the rest)',
        description:
          'One transaction: both balances, both pending totals, the pending transfer (now posted) and the record of the post. ' +
          'A pending transfer past its timeout is refused as expired, whether or not the sweep has released it yet. ' +
          IDEMPOTENCY_DESCRIPTION,
        tags: ['transfers'],
        headers: IdempotencyHeaders,
        params: TransferIdParams,
        body: PostPendingBody,
        response: responses({
          success: { 201: json('The record of the post, naming the pending transfer', TransferView) },
          codes: [...RESOLVING, 'POST_AMOUNT_EXCEEDS_PENDING'],
          replayable: true,
        }),
      },
    },
    async (request, reply) => {
      const text = request.body.amount
      const amount = text === undefined ? undefined : Money.parse(text)
      if (text !== undefined && !amount) throw new RequestError('VALIDATION_FAILED', 'body.amount is not a valid amount')
      return resolveFor(options, request, reply, 'post', amount)
    },
  )

  app.post(
    '/v1/transfers/:transfer_id/void',
    {
      config: { scope: 'transfers:write' },
      schema: {
        operationId: 'voidPendingTransfer',
        summary: 'Void a pending transfer: release the reservation, move nothing',
        description: `One transaction: both pending totals, the pending transfer (now voided) and the record of the void. ${IDEMPOTENCY_DESCRIPTION}`,
        tags: ['transfers'],
        headers: IdempotencyHeaders,
        params: TransferIdParams,
        body: VoidPendingBody,
        response: responses({
          success: { 201: json('The record of the void, naming the pending transfer', TransferView) },
          codes: RESOLVING,
          replayable: true,
        }),
      },
    },
    async (request, reply) => resolveFor(options, request, reply, 'void'),
  )
}
