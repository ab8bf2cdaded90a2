/**
 * The API's HTTP server, on Fastify: serves the route definitions (api/http.ts) with their zod
 * schemas as Fastify's validators, authenticates before a body is read, and sends every failure
 * — a handler's, the framework's (bad URLs, bodies, media types) or the socket parser's —
 * through the one mapping in api/errors.ts. Nothing a client sends can throw outside a request's
 * own error path: the router's decoders and the query parser never throw, and malformed
 * escapes, request-targets, headers and bodies answer 4xx.
 */
import { issuesOf } from '../domain/errors';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Db } from '../db/connect';
import type { Logger } from '../activities/deps';
import { InvalidInput } from '../domain/errors';
import { MAX_JSON_DEPTH } from '../domain/input';
import { authenticate, type AuthUser, type RouteDef } from './http';
import { httpErrorOf, RequestRefused } from './errors';
import { openApiDocument } from './openapi';

/** Largest body accepted (bytes). */
export const MAX_BODY = 1024 * 1024;
/** Longest path parameter accepted (characters, before decoding). */
const MAX_PARAM_LENGTH = 1000;
/**
 * An answer sent before the request's body was read (401 before parsing, 413 on Content-Length)
 * first reads and discards up to this much of the body, for at most DRAIN_MS: closing a socket
 * with unread bytes makes the kernel send a reset, and the client loses the answer with it.
 */
const MAX_DRAIN_BYTES = 16 * 1024 * 1024;
const DRAIN_MS = 5000;

export interface ApiServerOptions {
  db: Db;
  routes: RouteDef[];
  platformTokens: readonly string[];
  log: Logger;
  /** Origins allowed to call (the Temporal Web UI, for the codec endpoint). */
  corsOrigins?: readonly string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The acting user of a `user` route (null elsewhere). */
    user: AuthUser | null;
    /** The body as received (signed webhooks verify these exact bytes). */
    rawBody: string;
  }
  interface FastifyContextConfig {
    def?: RouteDef;
  }
}

/** A query string that had a malformed percent-escape (the router's parser may not throw). */
const MALFORMED = Symbol('malformed query');

/**
 * `a=1&b=x+y` → `{ a: '1', b: 'x y' }`; a repeated name gives an array (which the schemas
 * refuse rather than pick one). Never throws: a bad escape marks the result instead.
 */
export function parseQuery(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> & { [MALFORMED]?: true } = Object.create(null);
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeComponent(eq < 0 ? part : part.slice(0, eq));
    const value = decodeComponent(eq < 0 ? '' : part.slice(eq + 1));
    if (name === null || value === null) {
      out[MALFORMED] = true;
      continue;
    }
    const seen = out[name];
    out[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}

function decodeComponent(s: string): string | null {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Deepest `[`/`{` nesting of a JSON text, counted without parsing (strings skipped). */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return max;
}

/** The body as JSON: UTF-8 (or declared so), at most MAX_JSON_DEPTH deep, syntactically valid. */
function parseJsonBody(req: FastifyRequest, body: Buffer): unknown {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(String(req.headers['content-type'] ?? ''))?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') throw new RequestRefused('unsupported_media_type', 'The body must be UTF-8 JSON');
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new RequestRefused('invalid_json', 'The body is not valid UTF-8');
  }
  req.rawBody = text;
  if (text.trim() === '') return undefined;
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw new RequestRefused('json_too_deep', `The body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(text);
  } catch {
    throw new RequestRefused('invalid_json', 'The body is not valid JSON');
  }
}

const PREFIX: Record<string, string> = { params: 'path', querystring: 'query', body: '' };

/** One zod schema as a Fastify validator: the parsed value replaces the input, issues become InvalidInput. */
function zodValidator({ schema, httpPart }: { schema: unknown; httpPart?: string }) {
  const zod = schema as z.ZodType;
  const prefix = PREFIX[httpPart ?? ''] ?? '';
  return (data: unknown) => {
    // An absent body is validated as `{}`, so a route whose fields are all optional accepts none.
    const r = zod.safeParse(httpPart === 'body' && (data === null || data === undefined) ? {} : data);
    return r.success ? { value: r.data } : { error: new InvalidInput(issuesOf(r.error, prefix)) };
  };
}

/** Route pattern → its segments, to tell "no such path" (404) from "not with this method" (405). */
function pathMatches(pattern: string, path: string): boolean {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  return want.length === got.length && want.every((w, i) => w.startsWith(':') || w === got[i]);
}

export class ApiServer {
  readonly app: FastifyInstance;

  constructor(private readonly opts: ApiServerOptions) {
    this.app = this.build();
  }

  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    // CONNECT is not a method of this API; unanswered, Node would drop the socket silently.
    this.app.server.on('connect', (_req, socket: Socket) => answerOnSocket(new RequestRefused('method_not_allowed', 'CONNECT is not allowed here'), socket));
    await this.app.listen({ port, host });
    const a = this.app.server.address() as AddressInfo;
    return `http://${host}:${a.port}`;
  }

  close(): Promise<void> {
    return this.app.close();
  }

  private send(reply: FastifyReply, err: unknown, req?: FastifyRequest): FastifyReply {
    const { status, body } = httpErrorOf(err);
    // Only failures of our own: a 502 names the PSA, a 503 what is unreachable.
    if (status === 500) {
      this.opts.log.error('request failed', {
        method: req?.method,
        path: req?.url.split('?')[0]?.slice(0, 200),
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      });
    }
    return reply.code(status).send(body);
  }

  private build(): FastifyInstance {
    const { opts } = this;
    const app = Fastify({
      logger: false,
      bodyLimit: MAX_BODY,
      exposeHeadRoutes: false,
      forceCloseConnections: true,
      // The whole request (headers and body) must arrive within this; a slow client holds no socket for minutes.
      requestTimeout: 30_000,
      routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: MAX_PARAM_LENGTH, querystringParser: parseQuery },
      // Errors the router raises before any route runs (a bad escape in the path, an overlong parameter).
      frameworkErrors: (err, req, reply) => this.send(reply, err, req),
      // Requests Node's parser refuses (bad request line, header bytes, framing): answered on the socket.
      clientErrorHandler: (err, socket) => answerOnSocket(err, socket),
    });

    app.setValidatorCompiler(zodValidator);
    app.setSerializerCompiler(() => (data) => JSON.stringify(data));
    app.setErrorHandler((err, req, reply) => this.send(reply, err, req));

    app.removeAllContentTypeParsers();
    // JSON, and text/plain as JSON too (what fetch labels a string body); anything else is 415.
    const jsonParser = (req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
      try {
        done(null, parseJsonBody(req, body as Buffer));
      } catch (err) {
        done(err as Error, undefined);
      }
    };
    app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'buffer' }, jsonParser);
    app.addContentTypeParser(/^application\/[\w.+-]+\+json$/i, { parseAs: 'buffer' }, jsonParser);

    app.decorateRequest('user', null);
    app.decorateRequest('rawBody', '');

    const origins = opts.corsOrigins ?? [];
    app.addHook('onRequest', async (req, reply) => {
      const origin = req.headers.origin;
      if (origin && origins.includes(origin)) {
        reply.headers({
          'access-control-allow-origin': origin,
          'access-control-allow-headers': 'authorization, content-type, x-namespace, x-user-id',
          'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
          vary: 'origin',
        });
      }
      if (req.query && typeof req.query === 'object' && MALFORMED in req.query) throw new RequestRefused('invalid_url', 'The query string has a malformed percent-escape');
      const def = req.routeOptions.config.def;
      // Authenticated before the body is read: an unauthenticated caller costs no parsing.
      if (def) req.user = await authenticate(def.auth, req.headers, opts.platformTokens, opts.db);
    });

    app.addHook('onSend', async (req, _reply, payload) => {
      if (!req.raw.complete && !req.raw.destroyed) await drainBody(req.raw);
      return payload;
    });

    app.options('*', async (_req, reply) => reply.code(204).send());
    const openapi = openApiDocument(opts.routes);
    app.get('/openapi.json', async () => openapi);

    for (const def of opts.routes) {
      app.route({
        method: def.method,
        url: def.path,
        config: { def },
        ...(def.bodyLimit ? { bodyLimit: def.bodyLimit } : {}),
        schema: {
          ...(def.params ? { params: def.params } : {}),
          ...(def.query ? { querystring: def.query } : {}),
          ...(def.body ? { body: def.body } : {}),
        },
        handler: async (req, reply) => {
          const result = await def.handler({
            body: def.body ? req.body : undefined,
            query: def.query ? req.query : {},
            params: req.params,
            user: req.user,
            rawBody: req.rawBody,
            headers: req.headers,
          });
          reply.code(result.status ?? 200);
          if (result.headers) reply.headers(result.headers);
          return reply.send(result.body);
        },
      });
    }

    app.setNotFoundHandler(async (req, reply) => {
      const path = req.url.split('?')[0] ?? '/';
      const known = opts.routes.some((r) => pathMatches(r.path, path)) || path === '/openapi.json';
      return this.send(reply, known ? new RequestRefused('method_not_allowed', `${req.method} is not allowed here`) : new RequestRefused('not_found', `No route for ${req.method} ${path.slice(0, 200)}`), req);
    });
    return app;
  }
}

/** Reads and discards what is left of a request's body (bounded in bytes and time). */
export function drainBody(raw: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => {
      clearTimeout(timer);
      raw.off('data', onData).off('end', done).off('close', done).off('error', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > MAX_DRAIN_BYTES) done();
    };
    const timer = setTimeout(done, DRAIN_MS);
    raw.on('data', onData).on('end', done).on('close', done).on('error', done);
    raw.resume();
  });
}

/** A refusal written straight to the socket (no request object exists yet). */
function answerOnSocket(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const { status, body } = httpErrorOf(err);
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}
