/**
 * A fault-injecting proxy in front of another server (the Prism mock): per request it either answers
 * with an injected failure itself, or forwards the request unchanged and relays the answer, recording
 * the calls of every request the upstream accepted (200). So a test gets Prism's contract checks and
 * a record of what was accepted, under the faults it chooses. node:http on 127.0.0.1, free port.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { listenOnLoopback } from './listen.js';

export type ProxyAction = { type: 'forward' } | { type: 'status'; status: number; headers?: Record<string, string> } | { type: 'reset' };

export interface FaultProxy {
  url: string;
  /** Calls of every forwarded request the upstream answered 200, in arrival order. */
  accepted: Array<Record<string, unknown>>;
  log: Array<{ index: number; calls: number; action: ProxyAction['type']; upstreamStatus?: number }>;
  stop(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startFaultProxy(upstream: string, plan: (index: number) => ProxyAction): Promise<FaultProxy> {
  const accepted: FaultProxy['accepted'] = [];
  const log: FaultProxy['log'] = [];
  let index = 0;
  const server = createServer(async (req, res) => {
    const n = index++;
    const body = await readBody(req);
    let calls: Array<Record<string, unknown>> = [];
    try {
      calls = JSON.parse(body);
    } catch {
      // forwarded as is: the upstream answers
    }
    const action = plan(n);
    const entry: FaultProxy['log'][number] = { index: n, calls: Array.isArray(calls) ? calls.length : 0, action: action.type };
    log.push(entry);
    if (action.type === 'reset') return void req.socket.destroy();
    if (action.type === 'status') {
      const text = JSON.stringify({ success: false, message: `injected ${action.status}` });
      res.writeHead(action.status, { 'content-type': 'application/json', ...action.headers });
      return void res.end(text);
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)) headers[name] = value;
    }
    try {
      const answer = await fetch(upstream + req.url, { method: req.method, headers, body });
      const text = await answer.text();
      entry.upstreamStatus = answer.status;
      if (answer.status === 200 && Array.isArray(calls)) accepted.push(...calls);
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(text);
    } catch {
      res.writeHead(502).end();
    }
  });
  const listening = await listenOnLoopback(server);
  return {
    url: listening.url,
    accepted,
    log,
    stop: () => listening.close(),
  };
}
