/**
 * A small forward proxy on 127.0.0.1 (free port), as HTTPS_PROXY / HTTP_PROXY name one: it tunnels
 * `CONNECT host:port` and forwards absolute-form requests (`POST http://host/path`), recording each,
 * so a test can tell that a request really went through it. With `tunnelTo`, every tunnel goes to that
 * local server instead of the host asked for (a stand-in for the real API's address, no network).
 */
import { createServer, request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { listenOnLoopback } from './listen.js';

export interface ForwardProxy {
  url: string;
  /** `host:port` of every CONNECT tunnel opened. */
  tunnels: string[];
  /** The URL of every request forwarded in absolute form. */
  forwarded: string[];
  /** Tunnels and forwarded requests together. */
  count(): number;
  stop(): Promise<void>;
}

export async function startForwardProxy(options: { tunnelTo?: { host: string; port: number } } = {}): Promise<ForwardProxy> {
  const tunnels: string[] = [];
  const forwarded: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    forwarded.push(req.url ?? '');
    const target = new URL(req.url ?? '');
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const to = options.tunnelTo ?? { host: host!, port: Number(port) };
    const upstream = connect(to.port, to.host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  const listening = await listenOnLoopback(server);
  return {
    url: listening.url,
    tunnels,
    forwarded,
    count: () => tunnels.length + forwarded.length,
    stop: () => {
      for (const socket of sockets) socket.destroy();
      return listening.close();
    },
  };
}
