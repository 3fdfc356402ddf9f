import type { Attributes, Meter } from '@opentelemetry/api'

/**
 * A monotonic count per attribute set, handed to the SDK as an observable counter: recording is
 * one Map lookup and an addition on the request path, and the SDK reads the totals only when a
 * reader collects (a scrape, an OTLP push). For counts recorded on every request; a histogram
 * must be recorded synchronously and uses the SDK's own instrument.
 */
export class Tally {
  private readonly counts = new Map<string, { attributes: Attributes; value: number }>()

  constructor(meter: Meter, name: string, options: { description: string; unit?: string }) {
    meter.createObservableCounter(name, options).addCallback((result) => {
      for (const { attributes, value } of this.counts.values()) result.observe(value, attributes)
    })
  }

  /** Adds `value` to the count of `attributes`. Attribute values must come from small fixed sets. */
  add(attributes: Readonly<Record<string, string>>, value = 1): void {
    let key = ''
    for (const name in attributes) key += `${attributes[name]}\u0000`
    const entry = this.counts.get(key)
    if (entry) entry.value += value
    else this.counts.set(key, { attributes: { ...attributes }, value })
  }
}
