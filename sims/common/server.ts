/**
 * A small HTTP(S) server for the vendor simulators: a route table with `:param` segments,
 * a request log tests can assert on, and fault injection that can be set from code or over
 * HTTP (`/__sim/*`) so tests in another process (a worker being killed) can drive it too.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { z } from 'zod';

export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: unknown;
  /** Parsed form body (application/x-www-form-urlencoded). */
  form: URLSearchParams;
  params: Record<string, string>;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** JSON-serialised unless it is a string. */
  body?: unknown;
}

export type SimHandler = (req: SimRequest) => SimResponse | Promise<SimResponse>;

export const faultSchema = z.object({
  /** Only requests whose method matches (any when absent). */
  method: z.string().optional(),
  /** Regular expression (case-insensitive) tested against the path. */
  path: z.string().optional(),
  kind: z.enum(['latency', 'status', 'rate_limit', 'timeout', 'commit_then_drop', 'drop']),
  /** How many matching requests it applies to; unlimited when absent. */
  times: z.number().int().positive().optional(),
  /** latency / timeout: milliseconds to hold the request. */
  ms: z.number().int().nonnegative().optional(),
  /** status: the status to answer with (default 503). */
  status: z.number().int().optional(),
  /** rate_limit: Retry-After seconds (default 1). */
  retryAfterSec: z.number().nonnegative().optional(),
  body: z.unknown().optional(),
});
export type Fault = z.infer<typeof faultSchema>;

export interface LogEntry {
  at: number;
  method: string;
  path: string;
  query: string;
  status: number;
  fault: Fault['kind'] | null;
}

interface Route {
  method: string;
  parts: string[];
  handler: SimHandler;
}

export interface SimServerOptions {
  name: string;
  tls?: { key: string; cert: string };
  /** Match routes case-insensitively (Autotask, HaloPSA). */
  caseInsensitive?: boolean;
  /** Called by POST /__sim/reset after faults and log are cleared. */
  onReset?: () => void;
}

export class SimServer {
  readonly name: string;
  readonly log: LogEntry[] = [];
  private readonly routes: Route[] = [];
  private faults: (Fault & { used: number })[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly opts: SimServerOptions;
  private port = 0;

  constructor(opts: SimServerOptions) {
    this.opts = opts;
    this.name = opts.name;
    const listener = (req: http.IncomingMessage, res: http.ServerResponse) => void this.handle(req, res);
    this.server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, listener) : http.createServer(listener);
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  get url(): string {
    return `${this.opts.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  route(method: string, pattern: string, handler: SimHandler): this {
    const norm = this.opts.caseInsensitive ? pattern.toLowerCase() : pattern;
    this.routes.push({ method: method.toUpperCase(), parts: norm.split('/').filter(Boolean), handler });
    return this;
  }

  /** Adds a fault; the handle counts the requests it has hit so far (tests wait on it). */
  addFault(fault: Fault): { readonly used: number } {
    const f = { ...faultSchema.parse(fault), used: 0 };
    this.faults.push(f);
    return f;
  }

  clearFaults(): void {
    this.faults = [];
  }

  reset(): void {
    this.clearFaults();
    this.log.length = 0;
    this.opts.onReset?.();
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.url;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private match(method: string, path: string): { route: Route; params: Record<string, string> } | null {
    const segs = path.split('/').filter(Boolean);
    for (const route of this.routes) {
      if (route.method !== method || route.parts.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length; i += 1) {
        const p = route.parts[i] as string;
        const raw = segs[i] as string;
        const s = this.opts.caseInsensitive ? raw.toLowerCase() : raw;
        if (p.startsWith(':')) params[p.slice(1)] = decodeURIComponent(raw);
        else if (p !== s) {
          ok = false;
          break;
        }
      }
      if (ok) return { route, params };
    }
    return null;
  }

  private takeFault(method: string, path: string): Fault | null {
    for (const f of this.faults) {
      if (f.method && f.method.toUpperCase() !== method) continue;
      if (f.path && !new RegExp(f.path, 'i').test(path)) continue;
      if (f.times !== undefined && f.used >= f.times) continue;
      f.used += 1;
      return f;
    }
    return null;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;

    if (path.startsWith('/__sim/')) return this.control(method, path, rawBody, res);

    const fault = this.takeFault(method, path);
    const record = (status: number) =>
      this.log.push({ at: Date.now(), method, path, query: url.search, status, fault: fault?.kind ?? null });

    if (fault?.kind === 'latency') await new Promise((r) => setTimeout(r, fault.ms ?? 500));
    if (fault?.kind === 'timeout') {
      // Hold the request and never answer: the client's timeout fires first.
      record(0);
      setTimeout(() => req.socket.destroy(), fault.ms ?? 120_000).unref();
      return;
    }
    if (fault?.kind === 'drop') {
      record(0);
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      record(fault.status ?? 503);
      return this.send(res, { status: fault.status ?? 503, body: fault.body ?? { message: 'Service Unavailable' } });
    }
    if (fault?.kind === 'rate_limit') {
      record(429);
      return this.send(res, {
        status: 429,
        headers: { 'retry-after': String(fault.retryAfterSec ?? 1) },
        body: fault.body ?? { message: 'Too many requests' },
      });
    }

    let json: unknown;
    if (rawBody.length > 0 && /json/i.test(String(req.headers['content-type'] ?? 'application/json'))) {
      try {
        json = JSON.parse(rawBody);
      } catch {
        json = undefined;
      }
    }
    const form = /x-www-form-urlencoded/i.test(String(req.headers['content-type'] ?? ''))
      ? new URLSearchParams(rawBody)
      : new URLSearchParams();

    const hit = this.match(method, path);
    let answer: SimResponse;
    if (!hit) {
      const anyMethod = this.routes.some((r) => this.match(r.method, path)?.route === r);
      answer = anyMethod ? { status: 405, body: { message: 'Method not allowed' } } : { status: 404, body: { message: `No route for ${path}` } };
    } else {
      try {
        answer = await hit.route.handler({ method, path, query: url.searchParams, headers: req.headers, rawBody, json, form, params: hit.params });
      } catch (err) {
        answer = { status: 500, body: { message: err instanceof Error ? err.message : 'internal error' } };
      }
    }
    record(answer.status);
    if (fault?.kind === 'commit_then_drop') {
      // The handler ran (the write is committed) but the client never sees the answer.
      req.socket.destroy();
      return;
    }
    this.send(res, answer);
  }

  private send(res: http.ServerResponse, answer: SimResponse): void {
    const isText = typeof answer.body === 'string';
    const text = answer.body === undefined ? '' : isText ? (answer.body as string) : JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      ...(text.length > 0 ? { 'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8' } : {}),
      ...(answer.headers ?? {}),
    });
    res.end(text);
  }

  private control(method: string, path: string, rawBody: string, res: http.ServerResponse): void {
    if (method === 'POST' && path === '/__sim/faults') {
      const parsed = z.array(faultSchema).safeParse(JSON.parse(rawBody || '[]'));
      if (!parsed.success) return this.send(res, { status: 400, body: { message: parsed.error.message } });
      for (const f of parsed.data) this.addFault(f);
      return this.send(res, { status: 204 });
    }
    if (method === 'DELETE' && path === '/__sim/faults') {
      this.clearFaults();
      return this.send(res, { status: 204 });
    }
    if (method === 'GET' && path === '/__sim/log') return this.send(res, { status: 200, body: this.log });
    if (method === 'POST' && path === '/__sim/reset') {
      this.reset();
      return this.send(res, { status: 204 });
    }
    this.send(res, { status: 404, body: { message: 'unknown control route' } });
  }
}
