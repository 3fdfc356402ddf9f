// An example consumer of the service's events (docs/events.md): a durable JetStream consumer with
// explicit acks that keeps a running balance per account, computed from the amounts alone and
// checked against the balances each event reports, so it can be compared with the API.
//
//   npm run consumer                 # follows the stream, logs each account it changes
//   npm run consumer -- --once       # reads until caught up, prints {"<account>": "<balance>"} and exits
//
// Environment: NATS_URL (nats://127.0.0.1:4222), NATS_STREAM (TRANSFERS_EVENTS),
// NATS_SUBJECT_PREFIX (transfers.events), CONSUMER (balance-example: the durable's name; a new
// name reads the stream from its start), STATE_FILE (optional: balances kept across runs).
//
// Delivery is at least once: an event may come again (a redelivery, a relay that died before it
// deleted what it had published). Each event names every account's version after it, so an event
// whose version this consumer already has is skipped: applying it twice would invent money.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { Decimal } from 'decimal.js'

const Exact = Decimal.clone({ precision: 64, toExpPos: 64, toExpNeg: -64 })
const env = process.env
const servers = (env.NATS_URL || 'nats://127.0.0.1:4222').split(',')
const stream = env.NATS_STREAM || 'TRANSFERS_EVENTS'
const prefix = env.NATS_SUBJECT_PREFIX || 'transfers.events'
const durable = env.CONSUMER || 'balance-example'
const stateFile = env.STATE_FILE
const once = process.argv.includes('--once')

/** account id → { balance: Decimal, version } */
const accounts = new Map()
if (stateFile && existsSync(stateFile)) {
  for (const [id, { balance, version }] of Object.entries(JSON.parse(readFileSync(stateFile, 'utf8')))) {
    accounts.set(Number(id), { balance: new Exact(balance), version })
  }
}

/** Applies one account's side of an event: `delta` to its balance, if this version is the next one. */
function apply(state, delta) {
  const known = accounts.get(state.account_id)
  const version = known ? known.version : -1
  if (state.version <= version) return false // seen before: a duplicate
  if (state.version !== version + 1) {
    // A gap: events were lost to this consumer (e.g. it started after the stream's age limit). Take the stated balance.
    console.error(`account ${state.account_id}: version ${state.version} after ${version}; taking the reported balance`)
    accounts.set(state.account_id, { balance: new Exact(state.balance), version: state.version })
    return true
  }
  const balance = (known ? known.balance : new Exact(0)).plus(delta)
  if (!balance.equals(new Exact(state.balance))) console.error(`account ${state.account_id}: computed ${balance.toFixed()}, event says ${state.balance}`)
  accounts.set(state.account_id, { balance, version: state.version })
  return true
}

function handle(event) {
  if (event.type === 'account.opened') return [apply(event.account, new Exact(event.account.balance)) && event.account.account_id]
  if (event.type === 'transfer.posted') {
    const amount = new Exact(event.amount)
    return [apply(event.source, amount.negated()) && event.source.account_id, apply(event.destination, amount) && event.destination.account_id]
  }
  // A reservation made or released changes no balance, only what is pending (and the versions).
  if (event.type === 'transfer.pending' || event.type === 'transfer.voided' || event.type === 'transfer.expired') {
    return [apply(event.source, new Exact(0)) && event.source.account_id, apply(event.destination, new Exact(0)) && event.destination.account_id]
  }
  return [] // a type this example does not know: acknowledged and left alone
}

function snapshot() {
  return Object.fromEntries([...accounts].sort(([a], [b]) => a - b).map(([id, { balance }]) => [id, balance.toFixed()]))
}

function save() {
  if (!stateFile) return
  const state = Object.fromEntries([...accounts].map(([id, { balance, version }]) => [id, { balance: balance.toFixed(), version }]))
  writeFileSync(`${stateFile}.tmp`, JSON.stringify(state))
  renameSync(`${stateFile}.tmp`, stateFile)
}

const nc = await connect({ servers, maxReconnectAttempts: -1 })
const jsm = await jetstreamManager(nc)
await jsm.consumers
  .add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: `${prefix}.>`, max_ack_pending: 1024 })
  .catch(async (error) => {
    // It exists already (with this configuration): carry on where it stopped.
    if (!(await jsm.consumers.info(stream, durable).then(() => true, () => false))) throw error
  })
const consumer = await jetstream(nc).consumers.get(stream, durable)

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => (stopping = true))

while (!stopping) {
  const batch = []
  for await (const message of await consumer.fetch({ max_messages: 500, expires: 1000 })) {
    const changed = handle(message.json()).filter((id) => id !== false)
    if (!once && changed.length > 0) console.log(JSON.stringify(Object.fromEntries(changed.map((id) => [id, accounts.get(id).balance.toFixed()]))))
    batch.push(message)
  }
  // The state is saved before the acks: a crash between them only brings duplicates, which are skipped.
  save()
  for (const message of batch) message.ack()
  if (batch.length > 0) await nc.flush()
  if (once && batch.length === 0) {
    const info = await consumer.info()
    if (info.num_pending === 0 && info.num_ack_pending === 0) break
  }
}
if (once) console.log(JSON.stringify(snapshot()))
await nc.drain()
