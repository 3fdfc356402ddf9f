import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { CreateAccount } from '../../../app/create-account.js'
import type { GetAccount } from '../../../app/get-account.js'
import { isAccountId } from '../../../domain/account.js'
import { Money } from '../../../domain/money.js'
import { RequestError } from '../problems.js'
import { AccountIdParams, AccountView, CreateAccountBody, Problem } from '../schemas.js'
import { toAccountView } from '../views.js'

export interface AccountRoutesOptions {
  createAccount: CreateAccount
  getAccount: GetAccount
}

/** Path ids are digit strings (no type coercion); this checks they are also within 2^53−1. */
export function parseAccountIdParam(text: string): number {
  const id = Number(text)
  if (!isAccountId(id)) throw new RequestError('VALIDATION_FAILED', `params.account_id must be from 1 to ${Number.MAX_SAFE_INTEGER}`)
  return id
}

export const accountRoutes: FastifyPluginAsyncTypebox<AccountRoutesOptions> = async (app, { createAccount, getAccount }) => {
  app.post(
    '/v1/accounts',
    {
      schema: {
        summary: 'Open an account with an initial balance',
        tags: ['accounts'],
        body: CreateAccountBody,
        response: { 201: AccountView, 400: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      // The schema admitted the format; parse cannot fail here but the domain owns the rule.
      const initialBalance = Money.parse(request.body.initial_balance)
      if (!initialBalance) throw new RequestError('VALIDATION_FAILED', 'body.initial_balance is not a valid amount')
      const account = await createAccount({ accountId: request.body.account_id, initialBalance })
      return reply.code(201).send(toAccountView(account))
    },
  )

  app.get(
    '/v1/accounts/:account_id',
    {
      schema: {
        summary: 'Read an account balance',
        tags: ['accounts'],
        params: AccountIdParams,
        response: { 200: AccountView, 400: Problem, 404: Problem },
      },
    },
    async (request) => toAccountView(await getAccount(parseAccountIdParam(request.params.account_id))),
  )
}
