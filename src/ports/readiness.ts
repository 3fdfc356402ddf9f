/** Whether the service can do its work now: resolves true when its database answers. */
export interface Readiness {
  isReady(): Promise<boolean>
}
