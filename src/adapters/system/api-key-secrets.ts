import { hash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { ApiKeySecrets } from '../../ports/api-keys.js'

/** base32 (RFC 4648, lower case): five bits a character, no modulo bias. */
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'
const ID_LENGTH = 12

/**
 * `itk_<id>_<secret>`: `itk_` says what it is (and lets secret scanners find one that leaked),
 * the id is 12 base32 characters (60 bits, public), the secret 32 random bytes in base64url (256
 * bits), 60 characters in all. A text of another shape is refused before any lookup; the secret's
 * characters are left to the digest to refuse.
 */
const KEY_LENGTH = 60
const ID_FORMAT = /^[a-z2-7]{12}$/

/** API keys made with the operating system's random source and stored as SHA-256 digests. */
export const apiKeySecrets: ApiKeySecrets = {
  issue() {
    const id = [...randomBytes(ID_LENGTH)].map((byte) => ID_ALPHABET[byte & 31]).join('')
    const text = `itk_${id}_${randomBytes(32).toString('base64url')}`
    return { id, text, digest: hash('sha256', text, 'buffer') }
  },

  idOf(text) {
    if (text.length !== KEY_LENGTH || !text.startsWith('itk_') || text[16] !== '_') return undefined
    const id = text.slice(4, 16)
    return ID_FORMAT.test(id) ? id : undefined
  },

  // SHA-256 is enough for a key of 256 random bits: nothing short of the key itself yields its digest.
  digest: (text) => hash('sha256', text, 'buffer'),

  same(a, b) {
    // timingSafeEqual throws on different lengths; lengths here are fixed by the format, and public.
    return a.length === b.length && timingSafeEqual(a, b)
  },

  sameText(a, b) {
    if (a.length !== b.length) return false
    // Every character is compared, whatever the first difference: no early exit for timing to show.
    let difference = 0
    for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i)
    return difference === 0
  },
}
