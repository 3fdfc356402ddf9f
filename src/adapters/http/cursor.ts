import type { HistoryCursor } from '../../ports/transfer-records.js'
import { RequestError } from './problems.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Opaque to clients: base64url of "<created_at ms>.<transfer_id>". */
export function encodeCursor(cursor: HistoryCursor): string {
  return Buffer.from(`${cursor.createdAt.getTime()}.${cursor.transferId}`).toString('base64url')
}

export function decodeCursor(text: string): HistoryCursor {
  const [ms, transferId] = Buffer.from(text, 'base64url').toString().split('.')
  const createdAt = new Date(Number(ms))
  if (!ms || !/^\d{1,15}$/.test(ms) || !transferId || !UUID.test(transferId) || Number.isNaN(createdAt.getTime())) {
    throw new RequestError('VALIDATION_FAILED', 'querystring.cursor is not a cursor this service issued')
  }
  return { createdAt, transferId }
}
