/**
 * A fault-injecting stand-in for the Group API (node:http on 127.0.0.1, free port), scripted per
 * request. It checks the API key, answers like the API, and records every group call it accepts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './listen.js';

export type FaultAction =
  | { type: 'ok' }
  | { type: 'status'; status: number; headers?: Record<string, string>; message?: string }
  | { type: 'reset' }
  | { type: 'hang' }
  | { type: 'slow'; delayMs: number }
  | { type: 'malformed' }
  | { type: 'echo-key' };

export interface FaultRequest {
  index: number;
  calls: Array<Record<string, unknown>>;
}

export interface FaultServer {
  url: string;
  /** Every call in a request the server accepted (answered 200), in arrival order (unless `keepCalls: false`). */
  accepted: Array<Record<string, unknown>>;
  /** How many calls were accepted, duplicates included. */
  acceptedCount(): number;
  /** Every request received, with what was done, its size and the group_ids it held. */
  log: Array<{ index: number; calls: number; bytes: number; ids: unknown[]; action: FaultAction['type'] | 'bad-request' | 'unauthorized' }>;
  /** Most requests the server was handling at once. */
  maxConcurrent(): number;
  stop(): Promise<void>;
}

export interface FaultServerOptions {
  apiKey: string;
  /** What to do with request number `index` (0-based). Default: answer 200. */
  plan?: (request: FaultRequest) => FaultAction;
  /** Calls this returns true for make their whole request a 400 naming the call. */
  isBad?: (call: Record<string, unknown>) => boolean;
  /** Keep the accepted calls and per-request ids (default true); false keeps counts only. */
  keepCalls?: boolean;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startFaultServer(options: FaultServerOptions): Promise<FaultServer> {
  const accepted: FaultServer['accepted'] = [];
  const log: FaultServer['log'] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const keep = options.keepCalls ?? true;
  let index = 0;
  let count = 0;
  let active = 0;
  let maxActive = 0;

  const server = createServer(async (req, res) => {
    const n = index++;
    active++;
    maxActive = Math.max(maxActive, active);
    res.on('close', () => active--);
    if (req.headers['x-api-key'] !== options.apiKey) {
      await readBody(req);
      log.push({ index: n, calls: 0, bytes: 0, ids: [], action: 'unauthorized' });
      return json(res, 401, { success: false, message: 'Invalid or missing API key' });
    }
    const text = await readBody(req);
    const bytes = Buffer.byteLength(text);
    let calls: Array<Record<string, unknown>>;
    try {
      calls = JSON.parse(text);
      if (!Array.isArray(calls)) throw new Error('not an array');
    } catch {
      log.push({ index: n, calls: 0, bytes, ids: [], action: 'bad-request' });
      return json(res, 400, { success: false, message: 'Invalid JSON' });
    }
    const ids = keep ? calls.map((c) => c.group_id) : [];
    const badAt = options.isBad ? calls.findIndex(options.isBad) : -1;
    if (badAt >= 0) {
      log.push({ index: n, calls: calls.length, bytes, ids, action: 'bad-request' });
      return json(res, 400, { success: false, message: `Invalid request: [${badAt}].user_id is not valid` });
    }
    const action = options.plan?.({ index: n, calls }) ?? { type: 'ok' };
    log.push({ index: n, calls: calls.length, bytes, ids, action: action.type });
    const accept = (): void => {
      count += calls.length;
      if (keep) for (const call of calls) accepted.push(call);
    };
    switch (action.type) {
      case 'ok':
        accept();
        return json(res, 200, { success: true, eventId: `evt_${n}` });
      case 'status':
        return json(res, action.status, { success: false, message: action.message ?? `status ${action.status}` }, action.headers);
      case 'reset':
        req.socket.destroy();
        return;
      case 'hang':
        return; // never answer
      case 'slow': {
        accept(); // the server has the calls; whether the client hears it in time is the test
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!res.destroyed) json(res, 200, { success: true, eventId: `evt_${n}` });
        }, action.delayMs);
        timers.add(timer);
        return;
      }
      case 'malformed':
        accept();
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"success": tru');
      case 'echo-key':
        return json(res, 500, { success: false, message: `internal error for key ${req.headers['x-api-key']}` });
    }
  });
  const listening = await listenOnLoopback(server);
  return {
    url: listening.url,
    accepted,
    acceptedCount: () => count,
    log,
    maxConcurrent: () => maxActive,
    stop: () => {
      for (const timer of timers) clearTimeout(timer);
      return listening.close();
    },
  };
}

/** A deterministic pseudo-random generator (mulberry32), so a fault mix is the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
