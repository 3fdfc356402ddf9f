import { Type } from 'typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { CreateAccount } from '../../../app/create-account.js'
import type { GetAccount } from '../../../app/get-account.js'
import type { ListAccountTransfers } from '../../../app/list-account-transfers.js'
import { isAccountId } from '../../../domain/account.js'
import type { AccountOpened } from '../../../domain/batch.js'
import { balanceAfter } from '../../../domain/transfer.js'
import type { GetBalanceAt } from '../../../app/get-balance-at.js'
import { Money } from '../../../domain/money.js'
import { creatorOf, mayDebit, reachable } from '../access.js'
import { decodeCursor, encodeCursor } from '../cursor.js'
import { IDEMPOTENCY_DESCRIPTION, IdempotencyHeaders, idempotencyOf, sendSaved } from '../idempotency.js'
import { RequestError } from '../problems.js'
import { AUTHENTICATED, EVERY_ROUTE, JSON_BODY, json, READS_DATABASE, responses, WRITES_DATABASE } from '../responses.js'
import { AccountIdParams, AccountQuery, AccountView, BalanceAtView, CreateAccountBody, HistoryQuery, HistoryView } from '../schemas.js'
import { toAccountView, toTransferView } from '../views.js'

export interface AccountRoutesOptions {
  createAccount: CreateAccount
  getAccount: GetAccount
  getBalanceAt: GetBalanceAt
  listAccountTransfers: ListAccountTransfers
}

/** Path ids are digit strings (no type coercion); this checks they are also within 2^53−1. */
function parseAccountIdParam(text: string): number {
  const id = Number(text)
  if (!isAccountId(id)) throw new RequestError('VALIDATION_FAILED', `params.account_id must be from 1 to ${Number.MAX_SAFE_INTEGER}`)
  return id
}

export const accountRoutes: FastifyPluginAsyncTypebox<AccountRoutesOptions> = async (app, options) => {
  app.post(
    '/v1/accounts',
    {
      config: { scope: 'accounts:write' },
      schema: {
        operationId: 'createAccount',
        summary: 'Open an account with an initial balance',
        description: IDEMPOTENCY_DESCRIPTION,
        tags: ['accounts'],
        headers: IdempotencyHeaders,
        body: CreateAccountBody,
        response: responses({
          success: { 201: json('The account, opened with its initial balance', AccountView) },
          codes: [...EVERY_ROUTE, ...AUTHENTICATED, 'ACCOUNT_FORBIDDEN', ...JSON_BODY, ...WRITES_DATABASE, 'ACCOUNT_EXISTS'],
          replayable: true,
        }),
      },
    },
    async (request, reply) => {
      // The schema admitted the format; parse cannot fail here but the domain owns the rule.
      const initialBalance = Money.parse(request.body.initial_balance)
      if (!initialBalance) throw new RequestError('VALIDATION_FAILED', 'body.initial_balance is not a valid amount')
      mayDebit(request, request.body.account_id)
      const result = await options.createAccount({
        accountId: request.body.account_id,
        initialBalance,
        createdBy: creatorOf(request),
        idempotency: idempotencyOf<AccountOpened>(request, ({ account }) => ({ status: 201, body: JSON.stringify(toAccountView(account)) })),
      })
      if (result.kind === 'replayed') return sendSaved(reply, result.response, true)
      if (result.response) return sendSaved(reply, result.response, false)
      return reply.code(201).send(toAccountView(result.value))
    },
  )

  app.get(
    '/v1/accounts/:account_id',
    {
      config: { scope: 'accounts:read' },
      schema: {
        operationId: 'getAccount',
        summary: 'Read an account balance, now or as of an instant',
        description: 'With `at`: the posted balance as of that instant, from the history (one indexed lookup); 404 before the account existed.',
        tags: ['accounts'],
        params: AccountIdParams,
        querystring: AccountQuery,
        response: responses({
          success: {
            200: json(
              'Now: the account, its balances and pending totals, which include every acknowledged transfer; with `at`: its posted balance then',
              Type.Union([AccountView, BalanceAtView]),
            ),
          },
          codes: [...EVERY_ROUTE, ...AUTHENTICATED, ...READS_DATABASE, 'ACCOUNT_NOT_FOUND'],
        }),
      },
    },
    async (request) => {
      const accountId = parseAccountIdParam(request.params.account_id)
      reachable(request, accountId)
      const { at } = request.query
      if (at === undefined) return toAccountView(await options.getAccount(accountId))
      const balance = await options.getBalanceAt(accountId, new Date(at))
      return { account_id: accountId, balance: balance.balance.toString(), at: balance.at.toISOString() }
    },
  )

  app.get(
    '/v1/accounts/:account_id/transfers',
    {
      config: { scope: 'transfers:read' },
      schema: {
        operationId: 'listAccountTransfers',
        summary: "An account's transfers in both directions, newest first",
        description: 'Keyset pages: pass `next_cursor` back as `cursor` until it is null.',
        tags: ['accounts'],
        params: AccountIdParams,
        querystring: HistoryQuery,
        response: responses({
          success: { 200: json('One page of transfers, newest first, and the cursor of the next page', HistoryView) },
          codes: [...EVERY_ROUTE, ...AUTHENTICATED, ...READS_DATABASE, 'ACCOUNT_NOT_FOUND'],
        }),
      },
    },
    async (request) => {
      const accountId = parseAccountIdParam(request.params.account_id)
      reachable(request, accountId)
      const { limit = '50', cursor } = request.query
      const page = await options.listAccountTransfers(accountId, Number(limit), cursor === undefined ? undefined : decodeCursor(cursor))
      return {
        items: page.items.map(({ transfer, direction }) => ({
          ...toTransferView(transfer),
          direction,
          balance_after: balanceAfter(transfer, accountId)?.toString() ?? null,
        })),
        next_cursor: page.next ? encodeCursor(page.next) : null,
      }
    },
  )
}
