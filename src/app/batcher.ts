export interface BatchLimits {
  /** Most items one batch carries. */
  maxSize: number
  /** Most batches running at once. */
  maxInFlight: number
  /** Most items waiting for a batch; beyond it, offers are refused. */
  queueLimit: number
}

/**
 * Groups concurrent items into batches without a timer (group commit). An item that finds fewer
 * than `maxInFlight` batches running leaves at once, alone; items that arrive while every slot is
 * busy wait, and leave together (at most `maxSize`, oldest first) as soon as a slot frees. At low
 * load each batch is a batch of one and adds no delay; under load batches grow with it.
 */
export class Batcher<T> {
  private readonly queue: T[] = []
  private running = 0

  /** `execute` settles every item it is given and never rejects. */
  constructor(
    private readonly execute: (batch: T[]) => Promise<void>,
    private readonly limits: BatchLimits,
  ) {}

  /** Queues `item`; false, with nothing queued, when `queueLimit` items already wait. */
  offer(item: T): boolean {
    if (this.queue.length >= this.limits.queueLimit) return false
    this.queue.push(item)
    this.dispatch()
    return true
  }

  private dispatch(): void {
    while (this.running < this.limits.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.limits.maxSize)
      this.running++
      const done = () => {
        this.running--
        this.dispatch()
      }
      this.execute(batch).then(done, done)
    }
  }
}
