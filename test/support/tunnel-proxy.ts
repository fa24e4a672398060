/**
 * A forward proxy for `HTTPS_PROXY` on 127.0.0.1 (free port): it answers HTTP CONNECT, records the
 * host:port each tunnel asked for, and connects every tunnel to `target` (a local server standing for
 * the API) instead of the host asked for, so a client configured for the real API's address goes
 * through the proxy without any network. Anything but CONNECT gets 405.
 */
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { listenOnLoopback } from './listen.js';

export interface TunnelProxy {
  url: string;
  /** The `host:port` of every CONNECT, in order. */
  connects: string[];
  stop(): Promise<void>;
}

export async function startTunnelProxy(target: { host: string; port: number }): Promise<TunnelProxy> {
  const connects: string[] = [];
  const upstreams = new Set<Socket>();
  const server = createServer((_req, res) => res.writeHead(405, { allow: 'CONNECT' }).end());
  server.on('connect', (req, client: Socket, head: Buffer) => {
    connects.push(req.url ?? '');
    const upstream = connect(target.port, target.host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstreams.add(upstream);
    upstream.on('close', () => upstreams.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  const listening = await listenOnLoopback(server);
  return {
    url: listening.url,
    connects,
    stop: () => {
      for (const socket of upstreams) socket.destroy();
      return listening.close();
    },
  };
}
