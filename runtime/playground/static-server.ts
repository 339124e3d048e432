// The static file server behind `gmn playground`: serves one folder (the built site) over
// node:http with the MIME types a browser needs for module scripts and workers, never a file
// outside the folder. Resolves once listening; a taken port is a HintedError, not a stack trace.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { HintedError } from '../util/hinted-error.js';

const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
};

export interface StaticServer {
  server: Server;
  url: string;
}

export async function serveFolder(folder: string, port: number, host: string): Promise<StaticServer> {
  const root = normalize(folder);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
      const inside = file.startsWith(root.endsWith(sep) ? root : root + sep);
      const found = inside && await stat(file).then((s) => s.isFile(), () => false);
      if (!found) {
        res.writeHead(inside ? 404 : 403, { 'content-type': 'text/plain; charset=utf-8' }).end(`${inside ? 'not found' : 'forbidden'}: ${path}\n`);
        return;
      }
      res.writeHead(200, { 'content-type': MIME_TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new HintedError(`port ${port} on ${host} is already in use`, `choose another with --port, e.g. --port ${port + 1}`));
      else if (e.code === 'EACCES') reject(new HintedError(`not allowed to listen on port ${port}`, 'ports below 1024 need privileges: choose one above, e.g. --port 8080'));
      else reject(e);
    });
    server.listen(port, host, resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/` };
}
