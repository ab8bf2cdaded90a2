/**
 * The HTTP layer of the API: route definitions with zod schemas (which also feed the OpenAPI
 * document), authentication of the platform and its user, and one mapping from our typed
 * errors to status codes. Every body, query and path parameter is validated before a handler
 * runs; bad input gets 400 with field-level messages and never reaches Temporal.
 */
import type http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../db/connect';
import type { UserRole } from '../db/schema';
import { AccessDenied, ConnectionUnhealthyError, InvalidInput, NotFound, RuleViolation, type FieldIssue } from '../domain/errors';
import { isPsaError } from '../psa/core/errors';

export interface AuthUser {
  id: string;
  partnerId: string;
  role: UserRole;
}

/** `user`: platform token + X-User-Id; `platform`: platform token only; `none`: public or self-authenticated (signed webhooks). */
export type RouteAuth = 'user' | 'platform' | 'none';

export interface RouteContext<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  user: AuthUser | null;
  rawBody: string;
  headers: http.IncomingHttpHeaders;
}

export interface RouteResult {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteDef<B extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, P extends z.ZodType = z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with `:name` parameters, e.g. `/v1/integrations/:psa`. */
  path: string;
  summary: string;
  tags?: string[];
  auth: RouteAuth;
  body?: B;
  query?: Q;
  params?: P;
  /** Response schema for the OpenAPI document. */
  response?: z.ZodType;
  handler(ctx: RouteContext<z.infer<B>, z.infer<Q>, z.infer<P>>): Promise<RouteResult>;
}

/** Keeps each route's generic types while collecting them in one array. */
export function route<B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodObject, P extends z.ZodType = z.ZodObject>(
  def: RouteDef<B, Q, P>,
): RouteDef {
  return def as unknown as RouteDef;
}

export function issuesOf(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((i) => ({ field: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(body)', message: i.message }));
}

/** Parses with a zod schema or throws InvalidInput with field-level messages. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, prefix = ''): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new InvalidInput(issuesOf(r.error, prefix));
  return r.data;
}

export interface ErrorBody {
  error: { code: string; message: string; issues?: FieldIssue[] };
}

/** Our typed errors → status + body; anything else is a 500 that reveals nothing. */
export function errorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof InvalidInput) return { status: 400, body: { error: { code: err.code, message: 'The request is invalid', issues: err.issues } } };
  if (err instanceof NotFound || err instanceof AccessDenied || err instanceof ConnectionUnhealthyError) {
    return { status: err.httpStatus, body: { error: { code: err.code, message: err.message } } };
  }
  if (err instanceof RuleViolation) return { status: 409, body: { error: { code: err.code, message: err.message } } };
  if (isPsaError(err)) {
    const status = err.kind === 'auth' || err.kind === 'permission' || err.kind === 'validation' || err.kind === 'config' ? 422 : 502;
    return { status, body: { error: { code: `psa_${err.kind}`, message: err.message } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'Internal error' } } };
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const uuid = z.uuid();

/** Checks the platform's bearer token and, for `user` routes, loads the acting user. */
export async function authenticate(auth: RouteAuth, headers: http.IncomingHttpHeaders, tokens: readonly string[], db: Db): Promise<AuthUser | null> {
  if (auth === 'none') return null;
  const header = String(headers.authorization ?? '');
  const token = header.startsWith('Bearer ') ? header.slice(7) : '';
  if (!token || !tokens.some((t) => safeEqual(t, token))) throw new Unauthenticated();
  if (auth === 'platform') return null;
  const userId = String(headers['x-user-id'] ?? '');
  if (!uuid.safeParse(userId).success) throw new Unauthenticated('X-User-Id must name a user');
  const user = await db.selectFrom('users').select(['id', 'partnerId', 'role']).where('id', '=', userId).executeTakeFirst();
  if (!user) throw new Unauthenticated('X-User-Id must name a user');
  return user;
}

export class Unauthenticated extends Error {
  readonly httpStatus = 401;
  constructor(message = 'A valid platform token is required') {
    super(message);
    this.name = 'Unauthenticated';
  }
}
