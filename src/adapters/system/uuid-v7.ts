import { randomFillSync } from 'node:crypto'
import type { IdGenerator } from '../../ports/id-generator.js'

/**
 * RFC 9562 UUIDv7: 48 bits of Unix milliseconds, then random bits. Within one millisecond the
 * 12-bit rand_a field is a counter (method 1 of RFC 9562 §6.2), so ids from this process sort
 * in the order they were made.
 */
/** Random bytes fetched per system call: one call serves 256 ids instead of one. */
const POOL_BYTES = 16 * 256

export class UuidV7Generator implements IdGenerator {
  private lastMs = 0
  private counter = 0
  private readonly bytes = new Uint8Array(16)
  private readonly pool = new Uint8Array(POOL_BYTES)
  private poolOffset = POOL_BYTES

  constructor(private readonly now: () => number = Date.now) {}

  next(): string {
    let ms = this.now()
    if (ms <= this.lastMs) {
      ms = this.lastMs
      this.counter++
      if (this.counter > 0xfff) {
        // Counter exhausted: borrow the next millisecond rather than lose ordering.
        ms = ++this.lastMs
        this.counter = 0
      }
    } else {
      this.lastMs = ms
      this.counter = 0
    }
    if (this.poolOffset === POOL_BYTES) {
      randomFillSync(this.pool)
      this.poolOffset = 0
    }
    const b = this.bytes
    b.set(this.pool.subarray(this.poolOffset, (this.poolOffset += 16)))
    b[0] = Math.floor(ms / 2 ** 40) & 0xff
    b[1] = Math.floor(ms / 2 ** 32) & 0xff
    b[2] = (ms >>> 24) & 0xff
    b[3] = (ms >>> 16) & 0xff
    b[4] = (ms >>> 8) & 0xff
    b[5] = ms & 0xff
    b[6] = 0x70 | (this.counter >>> 8)
    b[7] = this.counter & 0xff
    b[8] = 0x80 | ((b[8] as number) & 0x3f)
    const hex = Buffer.from(b).toString('hex')
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  }
}
