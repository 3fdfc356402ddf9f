import { afterEach, describe, expect, it, vi } from 'vitest'
import { describeSampler } from '../../src/adapters/telemetry/sampler.js'

describe('describeSampler: the start-up log names the sampler the SDK builds', () => {
  afterEach(() => vi.unstubAllEnvs())

  it.each([
    [undefined, undefined, 'parentbased_always_on (default)'],
    ['always_on', undefined, 'always_on'],
    ['always_off', undefined, 'always_off'],
    ['parentbased_always_on', undefined, 'parentbased_always_on'],
    ['parentbased_always_off', undefined, 'parentbased_always_off'],
    ['traceidratio', '0.25', 'traceidratio 0.25'],
    ['parentbased_traceidratio', '0.1', 'parentbased_traceidratio 0.1'],
    ['parentbased_traceidratio', '2', 'parentbased_traceidratio 1 (OTEL_TRACES_SAMPLER_ARG missing or out of range)'],
    ['traceidratio', undefined, 'traceidratio 1 (OTEL_TRACES_SAMPLER_ARG missing or out of range)'],
    ['sometimes', undefined, 'parentbased_always_on (OTEL_TRACES_SAMPLER "sometimes" is unknown)'],
  ])('OTEL_TRACES_SAMPLER=%s OTEL_TRACES_SAMPLER_ARG=%s → %s', (name, arg, described) => {
    vi.stubEnv('OTEL_TRACES_SAMPLER', name)
    vi.stubEnv('OTEL_TRACES_SAMPLER_ARG', arg)
    expect(describeSampler()).toBe(described)
  })
})
