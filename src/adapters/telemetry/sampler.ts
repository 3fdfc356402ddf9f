import { getNumberFromEnv, getStringFromEnv } from '@opentelemetry/core'

/** OpenTelemetry's own default, and this service's: every trace recorded, a caller's flag followed. */
const DEFAULT = 'parentbased_always_on'

/** The standard OTEL_TRACES_SAMPLER values, which the SDK itself turns into samplers. */
const KNOWN = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']

/**
 * The sampler the SDK builds from OTEL_TRACES_SAMPLER(_ARG), in the variable's own words, for the
 * start-up log: the SDK reads the variables itself (no sampler is passed to it) but says nothing
 * about its choice, nor about a value it ignores. It falls back to its default on an unknown name
 * and to ratio 1 on a missing or out-of-range argument; this says so too.
 */
export function describeSampler(): string {
  const name = getStringFromEnv('OTEL_TRACES_SAMPLER')
  if (name === undefined) return `${DEFAULT} (default)`
  if (!KNOWN.includes(name)) return `${DEFAULT} (OTEL_TRACES_SAMPLER "${name}" is unknown)`
  if (!name.endsWith('traceidratio')) return name
  const ratio = getNumberFromEnv('OTEL_TRACES_SAMPLER_ARG')
  return ratio === undefined || ratio < 0 || ratio > 1 ? `${name} 1 (OTEL_TRACES_SAMPLER_ARG missing or out of range)` : `${name} ${ratio}`
}
