/**
 * Every stable error code psa-sync answers with, once: its HTTP status, whether trying the same
 * thing again unchanged can succeed, the sentence a caller reads when the error carries none of
 * its own, and what a partner or support person does about it. `type` is the error class the
 * code travels as (the Temporal failure type: our class names). Retry policies, the HTTP
 * mapping and `docs/errors.md` (`npm run docs:errors`) are derived from this table.
 *
 * Pure data, no imports: workflow code derives its retry lists from it inside the sandbox.
 */

export type ErrorArea = 'request' | 'integration' | 'mapping' | 'tickets' | 'psa';

export interface ErrorEntry {
  readonly area: ErrorArea;
  /** The error class the code travels as (Temporal failure type); null for the catch-all. */
  readonly type: string | null;
  readonly status: number;
  /** Trying the same call again unchanged can succeed (Temporal retries; a caller may too). */
  readonly retryable: boolean;
  /** The PSA or the connection is not usable for now: ticket and seat work waits for it. */
  readonly waits?: true;
  /** The caller reads this sentence instead of the error's own (which may hold internals). */
  readonly fixedMessage?: true;
  /** A narrower case of another code of the same type: an error of that type is that other code unless it says this one. */
  readonly refines?: string;
  readonly message: string;
  readonly remediation: string;
}

export const ERRORS = {
  invalid_input: {
    area: 'request',
    type: 'InvalidInput',
    status: 400,
    retryable: false,
    fixedMessage: true,
    message: 'The request is invalid',
    remediation: 'Correct the fields listed in `issues` and send the request again.',
  },
  unauthenticated: {
    area: 'request',
    type: 'Unauthenticated',
    status: 401,
    retryable: false,
    message: 'A valid platform token is required',
    remediation: 'Send a platform token as `Authorization: Bearer …`, with `X-User-Id` naming a user on portal routes; signed deliveries need a fresh, matching signature.',
  },
  access_denied: {
    area: 'request',
    type: 'AccessDenied',
    status: 403,
    retryable: false,
    message: 'Your role cannot manage integrations',
    remediation: 'Ask an Owner, Super Admin or Admin of the partner, or of a reseller above it, to make the change.',
  },
  not_found: {
    area: 'request',
    type: 'NotFound',
    status: 404,
    retryable: false,
    message: 'The resource was not found',
    remediation: "Check the id in the request. Another partner's ids are reported as not found too.",
  },
  event_id_reused: {
    area: 'request',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'The event id was already reported for another organization, problem or event',
    remediation: 'Give every alert event its own `eventId`; a repeat of an event must repeat its organization, problem and event.',
  },
  webhook_replayed: {
    area: 'request',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'This signed delivery was already received',
    remediation: 'Nothing for a duplicate delivery. A new alert needs its own signature over a fresh timestamp.',
  },
  rule_violation: {
    area: 'request',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'The change breaks a rule of the integration',
    remediation: 'Read the message: it names the rule and what to change first.',
  },
  partner_cycle: {
    area: 'request',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: "The partner's parent would make the reseller tree a cycle",
    remediation: 'Send the partner with a parent that is not the partner itself or one of its sub-resellers.',
  },
  parent_required: {
    area: 'request',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'A sub-reseller needs a parent partner',
    remediation: 'Send `parentId` naming the reseller the sub-reseller belongs to.',
  },
  parent_not_allowed: {
    area: 'request',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'Only a sub-reseller has a parent partner',
    remediation: 'Send `parentId: null` for master and direct resellers, or send the partner as a sub-reseller.',
  },
  parent_not_found: {
    area: 'request',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'The parent partner does not exist (or was deleted)',
    remediation: 'Send the parent partner first (in the same batch is fine), then the sub-reseller.',
  },
  partner_not_found: {
    area: 'request',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'The partner the record belongs to does not exist (or was deleted)',
    remediation: 'Send the partner first (in the same batch is fine), then its users, plans and organizations.',
  },
  partner_has_children: {
    area: 'request',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'The partner still has sub-resellers',
    remediation: 'Delete or move its sub-resellers first, then delete the partner.',
  },
  plan_not_found: {
    area: 'request',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'The plan does not exist (or was deleted)',
    remediation: 'Send the plan first (in the same batch is fine), then the organizations on it.',
  },
  plan_not_available: {
    area: 'request',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: "The plan is neither the organization's partner's own nor assigned to it",
    remediation: 'Assign the plan to the partner (the plan record lists its sub-resellers) or choose one of its own plans.',
  },
  plan_assignee_invalid: {
    area: 'request',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: "A plan can be assigned only to sub-resellers of the plan's owner",
    remediation: 'List only sub-resellers whose parent is the plan owner in `assignedTo`.',
  },
  plan_in_use: {
    area: 'request',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'The plan still has organizations or PSA mappings',
    remediation: 'Move its organizations to another plan and unlink the plan from every PSA, then delete it.',
  },
  email_taken: {
    area: 'request',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'Another user already has this email address',
    remediation: 'Delete or change the other user first; an email address names one user.',
  },
  organization_moved_while_mapped: {
    area: 'request',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'The organization is mapped to a PSA and cannot move to another partner',
    remediation: "Unlink the organization from its PSA first (the partner's integration page), then move it.",
  },
  organization_suspended: {
    area: 'tickets',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'The organization is suspended: no new tickets are opened for it',
    remediation: 'Nothing while it is suspended; alerts are accepted again once the platform sends it as active.',
  },
  bad_request: {
    area: 'request',
    type: 'RequestRefused',
    status: 400,
    retryable: false,
    message: 'The request is malformed',
    remediation: 'Send a well-formed HTTP/1.1 request (request line, headers and framing); most HTTP clients do this for you.',
  },
  invalid_url: {
    area: 'request',
    type: 'RequestRefused',
    status: 400,
    retryable: false,
    message: 'The request URL is malformed (an invalid percent-escape or request-target)',
    remediation: 'Percent-encode path and query values as UTF-8 (`encodeURIComponent`) and send an origin-form target such as `/v1/...`.',
  },
  invalid_json: {
    area: 'request',
    type: 'RequestRefused',
    status: 400,
    retryable: false,
    message: 'The body is not valid JSON',
    remediation: 'Send a UTF-8 JSON body with `Content-Type: application/json`.',
  },
  json_too_deep: {
    area: 'request',
    type: 'RequestRefused',
    status: 400,
    retryable: false,
    message: 'The body is nested too deeply',
    remediation: 'Keep bodies at most 32 levels deep; flatten free-form `detail` objects.',
  },
  method_not_allowed: {
    area: 'request',
    type: 'RequestRefused',
    status: 405,
    retryable: false,
    message: 'This method is not allowed here',
    remediation: 'Use a method the route lists in `/openapi.json`.',
  },
  request_timeout: {
    area: 'request',
    // Answered by the HTTP layer itself; retrying later can succeed, unlike the other refusals.
    type: null,
    status: 408,
    retryable: true,
    message: 'The request took too long to arrive',
    remediation: 'Send the whole request within 30 s; retry on a faster connection.',
  },
  body_too_large: {
    area: 'request',
    type: 'RequestRefused',
    status: 413,
    retryable: false,
    message: 'The body is too large',
    remediation: 'Keep bodies under 1 MiB; split bulk loads into several calls.',
  },
  uri_too_long: {
    area: 'request',
    type: 'RequestRefused',
    status: 414,
    retryable: false,
    message: 'A path parameter is too long',
    remediation: 'Ids and names in the path are at most 1,000 characters; check what was put into the URL.',
  },
  unsupported_media_type: {
    area: 'request',
    type: 'RequestRefused',
    status: 415,
    retryable: false,
    message: 'The body must be JSON (application/json; charset=utf-8)',
    remediation: 'Send the body as UTF-8 JSON with `Content-Type: application/json`.',
  },
  header_too_large: {
    area: 'request',
    type: 'RequestRefused',
    status: 431,
    retryable: false,
    message: 'The request headers are too large',
    remediation: 'Send fewer or shorter headers (cookies in particular).',
  },
  unavailable: {
    area: 'request',
    // Answered by the HTTP layer itself; retrying later can succeed, unlike the other refusals.
    type: null,
    status: 503,
    retryable: true,
    message: 'The service is unavailable',
    remediation: 'Retry shortly. Support checks that PostgreSQL and Temporal are up; `/healthz` names the one that is not.',
  },
  internal: {
    area: 'request',
    type: null,
    status: 500,
    retryable: true,
    fixedMessage: true,
    message: 'Internal error',
    remediation: 'Try again later. Support finds the cause in the service logs at the time of the request.',
  },

  not_connected: {
    area: 'integration',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'The PSA is not connected',
    remediation: 'Connect the PSA on the Integrations page first.',
  },
  already_connected: {
    area: 'integration',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'The PSA is already connected',
    remediation: 'Nothing, if it is the right account. To connect another one, revoke this connection first.',
  },
  connect_in_progress: {
    area: 'integration',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'A connection to this PSA is being set up',
    remediation: 'Wait for the other connect to finish (an abandoned one is cleared after 10 minutes), then reload the Integrations page.',
  },
  connect_aborted: {
    area: 'integration',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'The connection attempt is no longer pending',
    remediation: 'Connect again: the attempt was abandoned or revoked while its credentials were being tested.',
  },
  credentials_rejected: {
    area: 'integration',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'The PSA did not accept these credentials',
    remediation: "Check the API user and its keys (site URL, integration code, client id and secret) in the PSA and enter them again; the message quotes the PSA's reason.",
  },
  no_pending_credentials: {
    area: 'integration',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'There are no re-entered credentials to test',
    remediation: 'Enter the new credentials again, then test them.',
  },
  connection_unhealthy: {
    area: 'integration',
    type: 'ConnectionUnhealthyError',
    status: 409,
    retryable: false,
    waits: true,
    message: 'The PSA connection is unhealthy',
    remediation:
      'Unlock or fix the API user in the PSA, then re-enter its credentials (or test again) on the Integrations page. Tickets wait for the connection until their catch-up window ends.',
  },
  psa_permission_missing: {
    area: 'integration',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: "The PSA's API user lacks a right",
    remediation: "Add the right named in the message to the API user's security role in the PSA, then try again.",
  },
  psa_configuration: {
    area: 'integration',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'The PSA site or setting cannot be used',
    remediation: "Correct the site URL or setting named in the message. For a self-hosted PSA, support checks the deployment's PSA_ALLOW_* settings.",
  },
  url_not_allowed: {
    area: 'integration',
    type: 'PsaConfigError',
    refines: 'psa_config',
    status: 422,
    retryable: false,
    message: 'The site URL is not allowed',
    remediation: "Enter the PSA's own https address (the vendor's API host, not a private or loopback address). The PSA was not contacted. For a self-hosted PSA, support checks the deployment's PSA_ALLOW_* settings.",
  },
  tls_failed: {
    area: 'integration',
    type: 'PsaUnavailableError',
    refines: 'psa_unavailable',
    status: 422,
    retryable: true,
    waits: true,
    message: "The PSA site's TLS certificate did not verify",
    remediation: "Check the site URL; if it is right, the PSA's certificate must be fixed (untrusted, expired or for another host). Syncs wait for it and resume once it verifies.",
  },
  credentials_unreadable: {
    area: 'integration',
    type: 'DecryptionError',
    status: 500,
    retryable: false,
    fixedMessage: true,
    message: "The stored credentials cannot be decrypted with this deployment's keys",
    remediation: 'Support: put the key the credentials were sealed with back into ENCRYPTION_KEYS, or have the partner re-enter the credentials.',
  },

  option_not_found: {
    area: 'mapping',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'The chosen option does not exist in the PSA',
    remediation: 'Reload the options and pick one that exists; it may have been deleted or renamed in the PSA, or belong to another parent.',
  },
  plan_mapping_not_supported: {
    area: 'mapping',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'Plans are not mapped in this PSA',
    remediation: "Map organizations directly (for example to a customer and software licence); this PSA's plan form has no fields.",
  },
  plan_not_mapped: {
    area: 'mapping',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: "The organization's plan is not mapped yet",
    remediation: "Map the organization's plan to this PSA first, then map the organization.",
  },
  plan_has_mapped_organizations: {
    area: 'mapping',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'Organizations on this plan are still mapped',
    remediation: 'Unlink the organizations on this plan first, then unlink the plan.',
  },
  organization_mapped_elsewhere: {
    area: 'mapping',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'The organization is mapped to another PSA',
    remediation: 'Unlink the organization on the PSA it is mapped to, then map it here: an organization is on one PSA at a time.',
  },
  import_already_mapped: {
    area: 'mapping',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'The organization is already mapped on this PSA; the import leaves it and its PSA company as they are',
    remediation: 'Nothing to do. To move it to another company, unlink the organization, then import or map it again.',
  },
  import_billing_unresolved: {
    area: 'mapping',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: "No single billing object of the company fits the organization's plan",
    remediation:
      'Create the billing object in the PSA (agreement addition, contract service or software licence for the plan), or, where several fit, map the organization with the one you choose.',
  },
  import_billing_refused: {
    area: 'mapping',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: "The PSA refused to make the billing object for the organization's plan",
    remediation:
      "Fix what the PSA named (the agreement type or contract category, the plan's catalog item or service, the API user's right to add agreements, contracts or software licences), then import the organization again: the company is already there and is reused.",
  },
  import_billing_rights_missing: {
    area: 'mapping',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: "The PSA's API user lacks the rights the import's billing objects are made with",
    remediation:
      "Add the rights named in the message to the API user's security role (ConnectWise Finance > Agreements Add and Companies > Contacts Add / Inquire; Autotask Contracts Add), or confirm the import with createBilling: false: adopted companies with a fitting billing object are still mapped.",
  },
  import_not_supported: {
    area: 'mapping',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'This PSA connection cannot list or create companies for an import',
    remediation: 'Map the organizations one by one on the integration page.',
  },

  ticket_mapping_missing: {
    area: 'tickets',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'Ticket mapping is not set for this PSA',
    remediation: 'Set the ticket mapping (where tickets go, open and closed statuses) on the Integrations page. Alerts raised meanwhile are recorded as skipped.',
  },
  ticket_organization_unlinked: {
    area: 'tickets',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'The organization is no longer mapped to this PSA: its ticket gets no more notes, closes or reopens',
    remediation: 'Nothing: the PSA ticket is left as it is for a technician. Map the organization again for new alerts to open tickets.',
  },
  ticket_row_missing: {
    area: 'tickets',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'The ticket record no longer exists',
    remediation: 'Nothing: the ticket went with its organization or connection. The alert is recorded as skipped.',
  },

  hold_already_decided: {
    area: 'mapping',
    type: 'RuleViolation',
    status: 409,
    retryable: false,
    message: 'The billing hold has already been decided',
    remediation: 'Reload the holds: someone approved or dismissed this one, or a later reconcile replaced it. A new drift opens a new hold.',
  },
  psa_auth: {
    area: 'psa',
    type: 'PsaAuthError',
    status: 422,
    retryable: false,
    waits: true,
    message: 'The PSA refused the credentials',
    remediation: 'Unlock or re-activate the API user in the PSA, or re-enter working credentials. The connection is marked unhealthy until a test succeeds.',
  },
  psa_permission: {
    area: 'psa',
    type: 'PsaPermissionError',
    status: 422,
    retryable: false,
    message: "The PSA's API user lacks a right for this call",
    remediation: "Add the missing right to the API user's security role in the PSA.",
  },
  psa_validation: {
    area: 'psa',
    type: 'PsaValidationError',
    status: 422,
    retryable: false,
    message: 'The PSA refused the data it was sent',
    remediation: "Check the mappings against the PSA (a status, board, queue or item may have changed there) and read the PSA's own messages in the error.",
  },
  psa_config: {
    area: 'psa',
    type: 'PsaConfigError',
    status: 422,
    retryable: false,
    message: 'The PSA site or setting cannot be used',
    remediation: "Correct the site URL or setting named in the message. For a self-hosted PSA, support checks the deployment's PSA_ALLOW_* settings.",
  },
  psa_not_found: {
    area: 'psa',
    type: 'PsaNotFoundError',
    status: 502,
    retryable: false,
    message: 'The record does not exist in the PSA',
    remediation: 'The record was deleted in the PSA: map the organization or plan again (its mapping shows as broken).',
  },
  psa_rate_limited: {
    area: 'psa',
    type: 'PsaRateLimitedError',
    status: 502,
    retryable: true,
    waits: true,
    message: 'The PSA throttled the call',
    remediation: "Nothing: calls resume after the PSA's Retry-After. If it lasts, other integrations are sharing the API user's budget.",
  },
  psa_unavailable: {
    area: 'psa',
    type: 'PsaUnavailableError',
    status: 502,
    retryable: true,
    waits: true,
    message: 'The PSA did not answer',
    remediation: "Nothing: calls resume when the PSA answers again. If it lasts, check the PSA's status page and the site URL.",
  },
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof ERRORS;

type CodesOfType<T extends string> = { [K in ErrorCode]: (typeof ERRORS)[K]['type'] extends T ? K : never }[ErrorCode];

/** Codes a RuleViolation may carry. */
export type RuleCode = CodesOfType<'RuleViolation'>;

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERRORS, code);
}

export function isRuleCode(code: unknown): code is RuleCode {
  return isErrorCode(code) && ERRORS[code].type === 'RuleViolation';
}

export function errorEntry(code: ErrorCode): ErrorEntry {
  return ERRORS[code];
}

const entries = Object.values(ERRORS) as readonly ErrorEntry[];
const typesWhere = (keep: (e: ErrorEntry) => boolean): string[] => [...new Set(entries.filter(keep).flatMap((e) => (e.type === null ? [] : [e.type])))];

/** Failure types no retry can fix: Temporal `nonRetryableErrorTypes`. */
export const NON_RETRYABLE_FAILURE_TYPES: readonly string[] = typesWhere((e) => !e.retryable);

/** Failure types that mean the PSA or the connection is down for now: work waits and tries again. */
export const WAITING_FAILURE_TYPES: readonly string[] = typesWhere((e) => e.waits === true);

/** The one code an error class stands for, where it stands for exactly one (the PSA errors, DecryptionError…). */
export function codeOfType(type: string): ErrorCode | null {
  const codes = ERROR_CODES.filter((c) => ERRORS[c].type === type && !('refines' in ERRORS[c]));
  return codes.length === 1 ? (codes[0] as ErrorCode) : null;
}
