/**
 * Boundaries for durations in seconds: the semantic conventions' advice for
 * http.server.request.duration (0.005 … 10 s), with 1 ms and 2.5 ms below it because a cached
 * read answers in about a millisecond and would otherwise always land in the first bucket. The
 * SDK's default boundaries (0, 5, 10 … 10000) suit milliseconds and would put every request into
 * one bucket.
 */
export const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]
