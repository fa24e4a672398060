/**
 * runtime.ts for browsers (the `browser` condition of the package): no process to hold open at exit,
 * no User-Agent to send (a forbidden header there), no environment variables.
 */
export function holdForExit(_queue: unknown, _holding: boolean): void {}
export function userAgent(): string | undefined {
  return undefined;
}
export function environment(_name: string): string | undefined {
  return undefined;
}
