/**
 * Route definitions of the API: each with zod schemas for its path, query and body (they
 * validate requests and feed the OpenAPI document), and how the platform and its user
 * authenticate. Every body, query and path parameter is validated before a handler runs; bad
 * input gets 400 with field-level messages and never reaches Temporal. api/server.ts serves
 * these routes; api/errors.ts maps errors to answers.
 */
import type http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import type { Db } from '../db/connect';
import type { UserRole } from '../db/schema';
import { uuidId } from '../domain/input';
import { findUser } from '../db/repositories/directory';
import { Unauthenticated } from './errors';

export { Unauthenticated } from './errors';

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
  /** Largest body this route accepts (bytes); the server's MAX_BODY when absent. */
  bodyLimit?: number;
  handler(ctx: RouteContext<z.infer<B>, z.infer<Q>, z.infer<P>>): Promise<RouteResult>;
}

/** Keeps each route's generic types while collecting them in one array. */
export function route<B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodObject, P extends z.ZodType = z.ZodObject>(
  def: RouteDef<B, Q, P>,
): RouteDef {
  return def as unknown as RouteDef;
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const userIdSchema = uuidId();

/** Checks the platform's bearer token and, for `user` routes, loads the acting user. */
export async function authenticate(auth: RouteAuth, headers: http.IncomingHttpHeaders, tokens: readonly string[], db: Db): Promise<AuthUser | null> {
  if (auth === 'none') return null;
  const header = String(headers.authorization ?? '');
  const token = header.startsWith('Bearer ') ? header.slice(7) : '';
  if (!token || !tokens.some((t) => safeEqual(t, token))) throw new Unauthenticated();
  if (auth === 'platform') return null;
  const userId = userIdSchema.safeParse(String(headers['x-user-id'] ?? ''));
  if (!userId.success) throw new Unauthenticated('X-User-Id must name a user');
  const user = await findUser(db, userId.data);
  if (!user) throw new Unauthenticated('X-User-Id must name a user');
  return user;
}
