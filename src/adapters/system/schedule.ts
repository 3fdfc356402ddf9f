/**
 * Runs `task` every `intervalMs`, never two runs at once; a failed run is reported and the next
 * one happens on schedule. The timer does not keep the process alive.
 */
export function every(intervalMs: number, task: () => Promise<void>, onError: (error: unknown) => void): { stop(): void } {
  let running = false
  const timer = setInterval(() => {
    if (running) return
    running = true
    task()
      .catch(onError)
      .finally(() => (running = false))
  }, intervalMs)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
