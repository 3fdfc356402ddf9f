/**
 * Coalesces concurrent calls with the same key into one (as Go's singleflight does): callers that
 * arrive while a call for their key is running share its result instead of starting another.
 */
export class SingleFlight<K, V> {
  private readonly running = new Map<K, Promise<V>>()

  run(key: K, fn: () => Promise<V>): Promise<V> {
    const current = this.running.get(key)
    if (current) return current
    const flight = fn().finally(() => this.running.delete(key))
    this.running.set(key, flight)
    return flight
  }
}
