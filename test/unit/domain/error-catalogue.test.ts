/**
 * The error catalogue is the one list of codes: the retry lists, the failure types that cross
 * Temporal, the HTTP answers and docs/errors.md all come from it, and none of them can drift.
 */
import fs from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { ERRORS, ERROR_CODES, NON_RETRYABLE_FAILURE_TYPES, WAITING_FAILURE_TYPES, codeOfType, type ErrorCode } from '../../../domain/error-catalogue';
import {
  AccessDenied,
  ConnectionUnhealthyError,
  DOMAIN_FAILURE_TYPES,
  InvalidInput,
  NotFound,
  RuleViolation,
  describeError,
  issuesOf,
  parseOrThrow,
} from '../../../domain/errors';
import { PsaAuthError, PsaConfigError, PsaNotFoundError, PsaPermissionError, PsaRateLimitedError, PsaUnavailableError, PsaValidationError, psaErrorFromFailure, type PsaError } from '../../../psa/core/errors';
import { DecryptionError } from '../../../security/crypto';
import { GONE_FAILURE_TYPES, NON_RETRYABLE, OUTAGE_FAILURE_TYPES } from '../../../workflows/options';
import { domainErrorOf, domainFailure } from '../../../workflows/integration-messages';
import { typedErrorOf } from '../../../client/integrations';
import { httpErrorOf, Unauthenticated } from '../../../api/errors';
import { ERRORS_DOC_PATH, renderErrorsDoc } from '../../../scripts/docs-errors';
import { z } from 'zod';

const psaErrors: PsaError[] = [
  new PsaAuthError('bad key', { status: 401, accountDisabled: true }),
  new PsaPermissionError('no right', { status: 403 }),
  new PsaNotFoundError('gone', { status: 404 }),
  new PsaValidationError('refused', { status: 400, details: ['Status is required'] }),
  new PsaRateLimitedError('slow down', { status: 429, retryAfterMs: 2_000 }),
  new PsaUnavailableError('down', { status: 503 }),
  new PsaConfigError('bad site'),
];

const domainErrors = [
  new RuleViolation('plan_not_mapped', 'Map the plan "Gold" to Autotask before mapping Contoso'),
  new NotFound('Organization'),
  new AccessDenied(),
  new InvalidInput([{ field: 'values.status', message: 'Status is required' }]),
  new ConnectionUnhealthyError('Autotask rejected the stored credentials (401)'),
];

describe('the catalogue', () => {
  test('docs/errors.md is what `npm run docs:errors` makes of it', () => {
    expect(fs.readFileSync(ERRORS_DOC_PATH, 'utf8')).toBe(renderErrorsDoc());
  });

  test('every code has a status, a message and a remediation', () => {
    for (const code of ERROR_CODES) {
      const e = ERRORS[code];
      expect(e.status).toBeGreaterThanOrEqual(400);
      expect(e.status).toBeLessThan(600);
      expect(e.message.length).toBeGreaterThan(5);
      expect(e.remediation.length).toBeGreaterThan(5);
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
    }
  });

  test("a failure type's codes agree on retrying and waiting, so retry lists can be made of types", () => {
    const byType = new Map<string, ErrorCode[]>();
    for (const code of ERROR_CODES) {
      const type = ERRORS[code].type;
      if (type) byType.set(type, [...(byType.get(type) ?? []), code]);
    }
    for (const [type, codes] of byType) {
      const retryable = new Set(codes.map((c) => ERRORS[c].retryable));
      const waits = new Set(codes.map((c) => 'waits' in ERRORS[c]));
      expect({ type, retryable: retryable.size, waits: waits.size }).toEqual({ type, retryable: 1, waits: 1 });
    }
  });

  test('each PSA error class is one code whose type is its class name, and keeps its retryability', () => {
    for (const err of psaErrors) {
      expect(err.code).toBe(`psa_${err.kind}`);
      expect(ERRORS[err.code].type).toBe(err.name);
      expect(codeOfType(err.name)).toBe(err.code);
    }
    expect(psaErrors.filter((e) => e.retryable).map((e) => e.name)).toEqual(['PsaRateLimitedError', 'PsaUnavailableError']);
  });

  test('each domain error class travels as its catalogue type, and every domain type has a class', () => {
    for (const err of domainErrors) expect(ERRORS[err.code].type).toBe(err.name);
    const domainTypes = new Set(ERROR_CODES.map((c) => ERRORS[c].type).filter((t) => t !== null && (DOMAIN_FAILURE_TYPES as string[]).includes(t)));
    expect([...domainTypes].sort()).toEqual([...DOMAIN_FAILURE_TYPES].sort());
  });
});

describe('lists derived from it', () => {
  test('Temporal retries neither a refusal nor a rule, and always retries an outage', () => {
    const before = ['PsaAuthError', 'PsaPermissionError', 'PsaNotFoundError', 'PsaValidationError', 'PsaConfigError', 'RuleViolation', 'ConnectionUnhealthyError', 'DecryptionError'];
    expect(NON_RETRYABLE).toEqual(expect.arrayContaining(before));
    expect(NON_RETRYABLE).toEqual(expect.arrayContaining(['NotFound', 'InvalidInput', 'AccessDenied']));
    expect(NON_RETRYABLE).not.toContain('PsaRateLimitedError');
    expect(NON_RETRYABLE).not.toContain('PsaUnavailableError');
    expect(NON_RETRYABLE).toEqual([...NON_RETRYABLE_FAILURE_TYPES]);
  });

  test("the workflows' outage and gone sets are the catalogue's", () => {
    expect([...OUTAGE_FAILURE_TYPES].sort()).toEqual([...WAITING_FAILURE_TYPES].sort());
    expect([...OUTAGE_FAILURE_TYPES]).toEqual(expect.arrayContaining(['ConnectionUnhealthyError', 'PsaAuthError', 'PsaUnavailableError', 'PsaRateLimitedError']));
    expect([...GONE_FAILURE_TYPES]).toEqual(['NotFound']);
  });
});

describe('crossing Temporal', () => {
  test('a domain error comes back as itself, code, message, issues and reason included', () => {
    for (const err of domainErrors) {
      const failure = domainFailure(err);
      expect(failure?.type).toBe(err.name);
      expect(failure?.nonRetryable).toBe(true);
      const back = domainErrorOf(failure);
      expect(back?.constructor).toBe(err.constructor);
      expect(back?.message).toBe(err.message);
      expect((back as RuleViolation).code).toBe(err.code);
    }
    const issues = (domainErrorOf(domainFailure(domainErrors[3])) as InvalidInput).issues;
    expect(issues).toEqual([{ field: 'values.status', message: 'Status is required' }]);
    expect((domainErrorOf(domainFailure(domainErrors[4])) as ConnectionUnhealthyError).reason).toBe('Autotask rejected the stored credentials (401)');
  });

  test('a RuleViolation whose code is not in the catalogue comes back as the generic rule code', () => {
    const forged = ApplicationFailure.create({ type: 'RuleViolation', message: 'no', details: [{ code: '__proto__' }] });
    expect((domainErrorOf(forged) as RuleViolation).code).toBe('rule_violation');
  });

  test('a PSA error comes back as its class; other failure types do not', () => {
    for (const err of psaErrors) {
      const back = typedErrorOf(ApplicationFailure.create({ type: err.name, message: err.message }));
      expect(back).toBeInstanceOf(err.constructor);
      expect((back as PsaError).message).toBe(err.message);
    }
    expect(psaErrorFromFailure('PlatformCallbackFailed', 'x')).toBeNull();
    expect(psaErrorFromFailure('constructor', 'x')).toBeNull();
    expect(psaErrorFromFailure('__proto__', 'x')).toBeNull();
  });
});

describe('describeError', () => {
  /** The catalogue's answer for `code`, with the error's own sentence. */
  const answer = (code: ErrorCode, message: string) => ({ status: ERRORS[code].status, code, message, remediation: ERRORS[code].remediation });

  test('our errors answer with their catalogue status, code and remediation, and their own sentence', () => {
    expect(describeError(domainErrors[0])).toEqual(answer('plan_not_mapped', 'Map the plan "Gold" to Autotask before mapping Contoso'));
    expect(describeError(domainErrors[0]).status).toBe(409);
    expect(describeError(new NotFound('Organization'))).toMatchObject({ status: 404, code: 'not_found', message: 'Organization was not found' });
    expect(describeError(new AccessDenied())).toMatchObject({ status: 403, code: 'access_denied' });
    expect(describeError(domainErrors[4])).toMatchObject({ status: 409, code: 'connection_unhealthy', remediation: ERRORS.connection_unhealthy.remediation });
    expect(describeError(new Unauthenticated('The alert signature has expired'))).toMatchObject({ status: 401, code: 'unauthenticated', message: 'The alert signature has expired' });
  });

  test('invalid input answers with its issues and the general sentence', () => {
    expect(describeError(domainErrors[3])).toEqual({ ...answer('invalid_input', 'The request is invalid'), issues: [{ field: 'values.status', message: 'Status is required' }] });
    expect(describeError(domainErrors[3]).status).toBe(400);
  });

  test('PSA errors answer 422 when the partner can fix them, 502 when the PSA failed', () => {
    expect(psaErrors.map((e) => [describeError(e).code, describeError(e).status])).toEqual([
      ['psa_auth', 422],
      ['psa_permission', 422],
      ['psa_not_found', 502],
      ['psa_validation', 422],
      ['psa_rate_limited', 502],
      ['psa_unavailable', 502],
      ['psa_config', 422],
    ]);
  });

  test('anything else is internal and reveals nothing of its message', () => {
    const secret = 'connect ECONNREFUSED postgres://admin:hunter2@10.0.0.5';
    for (const err of [new Error(secret), new TypeError(secret), Object.assign(new Error(secret), { code: 'ECONNREFUSED' }), secret, null, undefined, { code: 'not_found', message: secret }, 42]) {
      expect(describeError(err)).toEqual({ status: 500, code: 'internal', message: 'Internal error', remediation: ERRORS.internal.remediation });
    }
    // A code borrowed by an error of another class, or a prototype key, is not trusted.
    expect(describeError(Object.assign(new Error(secret), { code: 'not_found' })).code).toBe('internal');
    expect(describeError(Object.assign(new Error(secret), { name: 'RuleViolation', code: '__proto__' })).code).toBe('internal');
    expect(describeError(Object.assign(new Error(secret), { name: 'RuleViolation', code: 'constructor' })).code).toBe('internal');
  });

  test('undecryptable credentials name the fix, not the key ring', () => {
    const answer = describeError(new DecryptionError('no key with id k2 is configured'));
    expect(answer).toMatchObject({ status: 500, code: 'credentials_unreadable', message: ERRORS.credentials_unreadable.message });
    expect(answer.message).not.toContain('k2');
  });

  test("the API answers each error with the catalogue's status, code, message and remediation", () => {
    const same = [...domainErrors, ...psaErrors, new Error('boom'), new RuleViolation('webhook_replayed', 'This signed delivery was already received')];
    for (const err of same) {
      const http = httpErrorOf(err);
      const answer = describeError(err);
      expect(http.status).toBe(answer.status);
      expect(http.body.error).toEqual({ code: answer.code, message: answer.message, remediation: ERRORS[answer.code].remediation, ...(answer.issues ? { issues: answer.issues } : {}) });
    }
  });
});

describe('zod input', () => {
  const schema = z.object({ seats: z.number().int().min(0), nested: z.object({ id: z.uuid() }) }).strict();

  test('issues are keyed by their path under the prefix, and the body itself by (body)', () => {
    const r = schema.safeParse({ seats: -1, nested: { id: 'x' }, partnerId: 'smuggled' });
    expect(r.success).toBe(false);
    const fields = issuesOf(r.error as z.ZodError, 'values').map((i) => i.field).sort();
    expect(fields).toEqual(['values', 'values.nested.id', 'values.seats']);
    expect(issuesOf(schema.safeParse('\u0000').error as z.ZodError).map((i) => i.field)).toEqual(['(body)']);
  });

  test('parseOrThrow returns the data or throws InvalidInput', () => {
    expect(parseOrThrow(schema, { seats: 3, nested: { id: '6f1c2f4e-8a51-4b6e-9d43-0e0f3c7a9b10' } })).toEqual({ seats: 3, nested: { id: '6f1c2f4e-8a51-4b6e-9d43-0e0f3c7a9b10' } });
    expect(() => parseOrThrow(schema, { seats: '\ud800' }, 'body')).toThrow(InvalidInput);
  });
});
