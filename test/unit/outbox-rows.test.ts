import { describe, expect, it } from 'vitest'
import { decodeMessages, encodeMessages } from '../../src/adapters/mariadb/outbox-rows.js'

describe('an outbox row’s messages', () => {
  it('come back as they went in, in order, payloads with spaces, escaped line breaks and any script intact', () => {
    const events = [
      { id: '0193a1b2-0000-7000-8000-000000000001', subject: 'account.opened.1', payload: JSON.stringify({ note: 'a b  c', key: 'line\nbreak', name: 'Zoë 💶' }) },
      { id: '0193a1b2-0000-7000-8000-000000000002', subject: 'transfer.posted.1.2', payload: '{}' },
    ]
    const decoded = decodeMessages(Buffer.from(encodeMessages(events)), '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
    expect(decoded).toEqual(events.map((event) => ({ eventId: event.id, subject: event.subject, payload: Buffer.from(event.payload), traceContext: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' })))
    expect(JSON.parse(new TextDecoder().decode(decoded[0]!.payload)).key).toBe('line\nbreak')
  })

  it('refuse a line without an id and a subject', () => {
    expect(() => decodeMessages(Buffer.from('just-one-word'), null)).toThrow(/not `<id> <subject> <payload>`/)
    expect(() => decodeMessages(Buffer.from(' account.opened.1 {}'), null)).toThrow()
    expect(() => decodeMessages(Buffer.from('id  {}'), null)).toThrow()
    expect(() => decodeMessages(Buffer.from('id account.opened.1 {}\nid-only'), null)).toThrow()
  })
})
