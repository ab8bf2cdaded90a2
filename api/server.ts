/** The API's HTTP server: matches a route, authenticates, validates, runs, maps errors. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { Db } from '../db/connect';
import type { Logger } from '../activities/deps';
import { authenticate, errorResponse, parseInput, Unauthenticated, type RouteDef } from './http';
import { openApiDocument } from './openapi';

const MAX_BODY = 1024 * 1024;

export interface ApiServerOptions {
  db: Db;
  routes: RouteDef[];
  platformTokens: readonly string[];
  log: Logger;
  /** Origins allowed to call (the Temporal Web UI, for the codec endpoint). */
  corsOrigins?: readonly string[];
}

interface CompiledRoute {
  def: RouteDef;
  parts: string[];
}

export class ApiServer {
  private readonly server: http.Server;
  private readonly routes: CompiledRoute[];

  constructor(private readonly opts: ApiServerOptions) {
    this.routes = opts.routes.map((def) => ({ def, parts: def.path.split('/').filter(Boolean) }));
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const a = this.server.address() as AddressInfo;
    return `http://${host}:${a.port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private match(method: string, path: string): { def: RouteDef; params: Record<string, string> } | 'method' | null {
    const segs = path.split('/').filter(Boolean);
    let pathMatched = false;
    for (const r of this.routes) {
      if (r.parts.length !== segs.length) continue;
      const params: Record<string, string> = {};
      const ok = r.parts.every((p, i) => {
        const s = segs[i] as string;
        if (p.startsWith(':')) {
          params[p.slice(1)] = decodeURIComponent(s);
          return true;
        }
        return p === s;
      });
      if (!ok) continue;
      pathMatched = true;
      if (r.def.method === method) return { def: r.def, params };
    }
    return pathMatched ? 'method' : null;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://api');
    const method = (req.method ?? 'GET').toUpperCase();
    const origin = String(req.headers.origin ?? '');
    const cors: Record<string, string> =
      origin && this.opts.corsOrigins?.includes(origin)
        ? {
            'access-control-allow-origin': origin,
            'access-control-allow-headers': 'authorization, content-type, x-namespace, x-user-id',
            'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
            vary: 'origin',
          }
        : {};
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      const text = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, { ...cors, ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...headers });
      res.end(text);
    };
    if (method === 'OPTIONS') return send(204);
    if (method === 'GET' && url.pathname === '/openapi.json') return send(200, openApiDocument(this.opts.routes));

    const hit = this.match(method, url.pathname);
    if (hit === null) return send(404, { error: { code: 'not_found', message: `No route for ${method} ${url.pathname}` } });
    if (hit === 'method') return send(405, { error: { code: 'method_not_allowed', message: `${method} is not allowed here` } });

    try {
      const rawBody = await readBody(req);
      const user = await authenticate(hit.def.auth, req.headers, this.opts.platformTokens, this.opts.db);
      let json: unknown = undefined;
      if (rawBody.length > 0) {
        try {
          json = JSON.parse(rawBody);
        } catch {
          return send(400, { error: { code: 'invalid_json', message: 'The body is not valid JSON' } });
        }
      }
      const params = hit.def.params ? parseInput(hit.def.params, hit.params, 'path') : hit.params;
      const query = hit.def.query ? parseInput(hit.def.query, Object.fromEntries(url.searchParams), 'query') : {};
      const body = hit.def.body ? parseInput(hit.def.body, json ?? {}) : undefined;
      const result = await hit.def.handler({ body, query, params, user, rawBody, headers: req.headers });
      send(result.status ?? 200, result.body, result.headers);
    } catch (err) {
      if (err instanceof Unauthenticated) return send(401, { error: { code: 'unauthenticated', message: err.message } });
      if (err instanceof BodyTooLarge) return send(413, { error: { code: 'body_too_large', message: err.message } });
      const mapped = errorResponse(err);
      if (mapped.status >= 500) {
        this.opts.log.error('request failed', { method, path: url.pathname, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
      }
      send(mapped.status, mapped.body);
    }
  }
}

class BodyTooLarge extends Error {
  constructor() {
    super(`The body is larger than ${MAX_BODY} bytes`);
  }
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new BodyTooLarge();
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export { z };
