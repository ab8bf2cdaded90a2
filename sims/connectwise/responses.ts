/** ConnectWise-shaped answers: `{ code, message, errors }` bodies and the 429 `{ error, message }`. */
import type { SimResponse } from '../common/server';

export interface CwFieldError {
  code: string;
  message: string;
  field?: string;
  resource?: string;
}

export function cwError(status: number, code: string, message: string, errors: CwFieldError[] | null = null): SimResponse {
  return { status, body: { code, message, errors } };
}

export const notFound = (what: string, id: string | number): SimResponse =>
  cwError(404, 'NotFound', `${what} with id ${id} was not found.`);

export const invalidObject = (resource: string, errors: CwFieldError[]): SimResponse =>
  cwError(400, 'InvalidObject', `${resource} object is invalid`, errors.map((e) => ({ resource, ...e })));

export const ok = (body: unknown, status = 200): SimResponse => ({ status, body });

export function tooManyRequests(retryAfterSec: number): SimResponse {
  return {
    status: 429,
    headers: { 'retry-after': String(retryAfterSec) },
    body: { error: 'ConnectWiseAPI', message: `Too many requests. Please try again in ${retryAfterSec} seconds.` },
  };
}
