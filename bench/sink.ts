/**
 * The benchmark sink: a node:http server on 127.0.0.1 (free port) that stands in for ThriveStack and
 * for Segment. It parses every body, counts the group calls in it and answers like the API.
 *
 *   POST /api/group   body: JSON array of calls → 200 {"success":true,"eventId":"evt_..."}
 *                     (401 without x-api-key, 400 on a body that is not a JSON array)
 *   POST /v1/batch    Segment's shape {batch:[...]} → 200 {"success":true}; counts `type: "group"` items
 *   GET  /count       → {"calls":N,"requests":N,"bytes":N,"rejected":N}
 *   POST /reset       → zeroes the counters
 *
 * Run it as a child process with an IPC channel (`fork`): it sends `{ port }` once listening and
 * exits by itself when the parent disconnects (or dies). `startSink()` does all of this.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopChild } from '../scripts/prism.js';

export const GROUP_PATH = '/api/group';
export const SEGMENT_PATH = '/v1/batch';
const CHILD_FLAG = 'THRIVESTACK_BENCH_SINK';

export interface SinkCount {
  /** Group calls received in accepted requests. */
  calls: number;
  requests: number;
  bytes: number;
  /** Requests answered with 4xx. */
  rejected: number;
}

export interface RunningSink {
  url: string;
  pid: number;
  count(): Promise<SinkCount>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

function serve(): void {
  const counts: SinkCount = { calls: 0, requests: 0, bytes: 0, rejected: 0 };
  let nextId = 0;

  const reply = (res: ServerResponse, status: number, body: string): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/count') return reply(res, 200, JSON.stringify(counts));
    if (req.method === 'POST' && path === '/reset') {
      Object.assign(counts, { calls: 0, requests: 0, bytes: 0, rejected: 0 });
      return reply(res, 200, '{"ok":true}');
    }
    if (req.method !== 'POST' || (path !== GROUP_PATH && path !== SEGMENT_PATH)) return reply(res, 404, '{"error":"not found"}');
    if (path === GROUP_PATH && !req.headers['x-api-key']) {
      counts.rejected++;
      return reply(res, 401, '{"success":false,"error":"missing x-api-key"}');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      counts.rejected++;
      return reply(res, 400, '{"success":false,"error":"invalid JSON"}');
    }
    const list = path === GROUP_PATH ? parsed : (parsed as { batch?: unknown } | null)?.batch;
    if (!Array.isArray(list) || list.length === 0) {
      counts.rejected++;
      return reply(res, 400, '{"success":false,"error":"expected a non-empty array of group calls"}');
    }
    let calls = 0;
    for (const item of list as Array<Record<string, unknown> | null>) {
      if (path === GROUP_PATH ? typeof item?.group_id === 'string' : item?.type === 'group') calls++;
    }
    counts.calls += calls;
    counts.requests++;
    counts.bytes += Buffer.byteLength(raw);
    reply(res, 200, `{"success":true,"eventId":"evt_${(++nextId).toString(36).padStart(8, '0')}"}`);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    process.send?.({ port });
  });
  // Stop with the parent: on disconnect (normal end, or the parent died), close and exit.
  process.on('disconnect', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1_000).unref();
  });
}

/** Starts the sink in its own process and waits until it listens. */
export async function startSink(): Promise<RunningSink> {
  // Never from inside a sink (e.g. this module bundled into another script): no fork chains.
  if (process.env[CHILD_FLAG]) throw new Error('startSink() called inside the sink process');
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, [CHILD_FLAG]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the sink did not start within 20 s')), 20_000);
    child.once('message', (message: { port: number }) => {
      clearTimeout(timer);
      resolve(message.port);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the sink exited with code ${code}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    pid: child.pid!,
    async count() {
      const res = await fetch(`${url}/count`);
      return (await res.json()) as SinkCount;
    },
    async reset() {
      await (await fetch(`${url}/reset`, { method: 'POST' })).text();
    },
    stop() {
      return stopChild(child, () => child.disconnect());
    },
  };
}

if (process.env[CHILD_FLAG] === '1' && process.argv.includes('--serve') && process.argv[1] === fileURLToPath(import.meta.url)) serve();
