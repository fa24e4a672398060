/**
 * The User-Agent sent from servers: `thrivestack-group/<version> (<runtime> <version>; <os> <arch>)`,
 * for Node, Deno and Bun, told apart through globalThis (no `node:` imports). None in browsers:
 * User-Agent is a forbidden header there, and any header added would widen the CORS preflight.
 */
import { PACKAGE_NAME, PACKAGE_VERSION } from './generated/version.js';

interface Runtimes {
  window?: unknown;
  document?: unknown;
  Deno?: { version?: { deno?: string }; build?: { os?: string; arch?: string } };
  Bun?: { version?: string };
  process?: { versions?: { node?: string }; platform?: string; arch?: string };
}

export function userAgent(scope: Runtimes = globalThis as Runtimes): string | undefined {
  const name = `${PACKAGE_NAME}/${PACKAGE_VERSION}`;
  if (scope.window !== undefined && scope.document !== undefined) return undefined; // a browser (or a renderer)
  const deno = scope.Deno;
  if (deno?.version?.deno) return `${name} (deno ${deno.version.deno}; ${deno.build?.os ?? 'unknown'} ${deno.build?.arch ?? 'unknown'})`;
  const proc = scope.process;
  const where = `${proc?.platform ?? 'unknown'} ${proc?.arch ?? 'unknown'}`;
  if (scope.Bun?.version) return `${name} (bun ${scope.Bun.version}; ${where})`;
  if (proc?.versions?.node) return `${name} (node ${proc.versions.node}; ${where})`;
  return undefined; // another runtime (a worker, an edge runtime): send nothing rather than guess
}
