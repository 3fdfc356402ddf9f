// @ts-check
// The accounts and request bodies the scenarios share.

/** @type {Record<string, string>} Headers of every request to the service: the API key, while one is set. */
export const AUTH_HEADERS = {}

/** @type {Record<string, string>} */
export const JSON_HEADERS = { 'content-type': 'application/json' }

/** Sends `key` (or, undefined, no key) with every request from now on. @param {string | undefined} key */
export function useApiKey(key) {
  for (const headers of [AUTH_HEADERS, JSON_HEADERS]) {
    if (key) headers.authorization = `Bearer ${key}`
    else delete headers.authorization
  }
}

/** The uniform and read scenarios' accounts: 10,000 of them, each opened with this balance. */
export const ACCOUNTS = { first: 100_000, count: 10_000, balance: '1000000' }

/** The timed hot pair (the seed has its own, 1001 → 1002): a source that never runs dry. */
export const HOT_PAIR = { source: 2001, destination: 2002, balance: '1000000000000000' }

/** @param {string} base @param {string} path @param {unknown} body */
export async function post(base, path, body) {
  const response = await fetch(base + path, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) })
  await response.arrayBuffer()
  return response.status
}

/** @param {string} base @param {number} id @returns {Promise<string | undefined>} */
export async function balance(base, id) {
  const response = await fetch(`${base}/v1/accounts/${id}`, { headers: AUTH_HEADERS })
  if (response.status !== 200) return undefined
  return /** @type {{ balance: string }} */ (await response.json()).balance
}

export const randomAccount = () => ACCOUNTS.first + Math.floor(Math.random() * ACCOUNTS.count)

export function randomTransfer() {
  const from = randomAccount()
  let to = randomAccount()
  while (to === from) to = randomAccount()
  return { from, to, amount: `${1 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 100)}` }
}

export const transferBody = () => {
  const { from, to, amount } = randomTransfer()
  return JSON.stringify({ source_account_id: from, destination_account_id: to, amount })
}

/** Opens `accounts` (pairs of id and balance) with 64 requests at a time; an account that exists already is fine. @param {string} base @param {[number, string][]} accounts */
export async function open(base, accounts) {
  let next = 0
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < accounts.length) {
        const [id, initial] = /** @type {[number, string]} */ (accounts[next++])
        const status = await post(base, '/v1/accounts', { account_id: id, initial_balance: initial })
        if (status !== 201 && status !== 409) throw new Error(`opening account ${id} answered ${status}`)
      }
    }),
  )
}

/** Opens the 10,000 accounts of the uniform and read scenarios, unless an earlier scenario did. @param {string} base */
export async function ensureAccounts(base) {
  if ((await balance(base, ACCOUNTS.first + ACCOUNTS.count - 1)) !== undefined) return
  await open(base, Array.from({ length: ACCOUNTS.count }, (_, i) => [ACCOUNTS.first + i, ACCOUNTS.balance]))
}
