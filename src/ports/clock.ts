/** The current time, injectable so tests can fix it. */
export interface Clock {
  now(): Date
}
