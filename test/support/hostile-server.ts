/**
 * A hostile server for the security tests: node:http (or https with the test's self-signed
 * certificate) on 127.0.0.1, a free port, every request recorded (headers and body) and answered by
 * the test's own handler: redirects, reflected keys, huge bodies, escape sequences.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { listenOnLoopback } from './listen.js';

export interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Handler = (res: ServerResponse, seen: Seen, index: number, req: IncomingMessage) => void | Promise<void>;

export interface HostileServer {
  url: string;
  /** Every request received, in order. */
  seen: Seen[];
  stop(): Promise<void>;
}

const TLS_DIR = new URL('../fixtures/tls/', import.meta.url);

export async function startHostileServer(handler: Handler, options: { tls?: boolean } = {}): Promise<HostileServer> {
  const seen: Seen[] = [];
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry: Seen = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(entry);
      Promise.resolve(handler(res, entry, seen.length - 1, req)).catch(() => res.destroy());
    });
  };
  const server = options.tls
    ? createTlsServer({ key: readFileSync(new URL('localhost-key.pem', TLS_DIR)), cert: readFileSync(new URL('localhost-cert.pem', TLS_DIR)) }, onRequest)
    : createServer(onRequest);
  const listening = await listenOnLoopback(server as unknown as Server);
  return { url: options.tls ? listening.url.replace('http:', 'https:') : listening.url, seen, stop: listening.close };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The API's own success answer, with a distinctive id (so a test can tell whose answer came back). */
export function sendAccepted(res: ServerResponse, eventId: string): void {
  sendJson(res, 200, { success: true, eventId });
}
