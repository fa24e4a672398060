/**
 * What the client takes from the server runtime it runs in (Node, Deno, Bun, edge functions): the
 * process-wide exit hook, the User-Agent, environment variables. The browser build replaces this file
 * with runtime.browser.ts (tsup.config.ts: `browserOptions`), where none of them exist.
 */
export { holdForExit } from './exit-hook.js';
export { userAgent } from './user-agent.js';

/** An environment variable, when the runtime has them (`process.env`); empty counts as unset. */
export function environment(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.[name] || undefined;
}
