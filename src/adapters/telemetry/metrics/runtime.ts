import type { Meter } from '@opentelemetry/api'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8'

/**
 * The runtime semantic conventions' event-loop, heap and process metrics, all read when a reader
 * collects. The event-loop delay figures cover the time since the previous collection.
 */
export function observeRuntime(meter: Meter): { stop(): void } {
  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()
  const gauge = (name: string, description: string, unit: string) => meter.createObservableGauge(name, { description, unit })
  const p50 = gauge('nodejs.eventloop.delay.p50', 'Event loop delay, median since the last collection', 's')
  const p99 = gauge('nodejs.eventloop.delay.p99', 'Event loop delay, 99th percentile since the last collection', 's')
  const max = gauge('nodejs.eventloop.delay.max', 'Event loop delay, maximum since the last collection', 's')
  const heapUsed = meter.createObservableUpDownCounter('v8js.memory.heap.used', { description: 'V8 heap memory used, by heap space', unit: 'By' })
  const heapLimit = meter.createObservableUpDownCounter('v8js.memory.heap.limit', { description: 'V8 heap size limit', unit: 'By' })
  const rss = meter.createObservableUpDownCounter('process.memory.usage', { description: 'Resident set size of the process', unit: 'By' })
  const cpu = meter.createObservableCounter('process.cpu.time', { description: 'CPU time of the process by mode', unit: 's' })
  meter.addBatchObservableCallback(
    (result) => {
      // The histogram counts in nanoseconds; an idle loop may have no sample yet.
      if (delay.count > 0) {
        result.observe(p50, delay.percentile(50) / 1e9)
        result.observe(p99, delay.percentile(99) / 1e9)
        result.observe(max, delay.max / 1e9)
      }
      delay.reset()
      for (const space of getHeapSpaceStatistics()) result.observe(heapUsed, space.space_used_size, { 'v8js.heap.space.name': space.space_name })
      result.observe(heapLimit, getHeapStatistics().heap_size_limit)
      result.observe(rss, process.memoryUsage.rss())
      const { user, system } = process.cpuUsage()
      result.observe(cpu, user / 1e6, { 'cpu.mode': 'user' })
      result.observe(cpu, system / 1e6, { 'cpu.mode': 'system' })
    },
    [p50, p99, max, heapUsed, heapLimit, rss, cpu],
  )
  return { stop: () => delay.disable() }
}
