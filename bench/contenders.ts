/**
 * What `npm run bench` and `npm run bench:profile` run: each runner is a worker contender
 * (bench/worker.ts) with the client options it is given. Client runners run once per copy of the
 * client measured (`--vs`); the floors and the peer once.
 */
import type { Contender } from './worker.js';

export interface Runner {
  contender: Contender;
  /** Options beside apiKey, baseUrl and onError; `{}` is the client at its defaults. */
  clientOptions?: Record<string, unknown>;
  /** Runs the client (once per copy of it), rather than a floor or the peer. */
  client: boolean;
  section: 'immediate' | 'batched';
  title: string;
}

export const RUNNERS = {
  'immediate-client': { contender: 'immediate-client', client: true, section: 'immediate', title: '`await client.group(call)`, defaults' },
  'immediate-fetch': { contender: 'immediate-fetch', client: false, section: 'immediate', title: 'bare `fetch`, one call per request (floor)' },
  'batched-default': {
    contender: 'batched-client',
    clientOptions: {},
    client: true,
    section: 'batched',
    title: 'client at its defaults: `new ThriveStack({ apiKey, baseUrl, onError })`',
  },
  // options both the old and the new client take (the old one refuses maxBatchSize)
  'batched-tuned': { contender: 'batched-client', clientOptions: { flushAt: 1000 }, client: true, section: 'batched', title: 'client tuned: `flushAt: 1000`' },
  'batched-fetch': { contender: 'batched-fetch', client: false, section: 'batched', title: 'bare `fetch`, 1,000-call arrays, 4 in flight (floor)' },
  segment: { contender: 'segment', client: false, section: 'batched', title: '@segment/analytics-node 3.1.0 (`flushAt: 1000`)' },
} as const satisfies Record<string, Runner>;

export type RunnerName = keyof typeof RUNNERS;

export function runner(name: string): Runner {
  const found = (RUNNERS as Record<string, Runner>)[name];
  if (!found) throw new Error(`unknown runner "${name}"; one of: ${Object.keys(RUNNERS).join(', ')}`);
  return found;
}
