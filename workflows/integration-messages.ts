/**
 * The integration lifecycle's messages, defined once and shared by the workflow, the activities
 * and the platform client: the workflow id, the Updates (each answers or fails with a typed
 * error), the state query, and how our domain errors travel through Temporal and back.
 * Pure (no Node builtins): it is bundled into the workflow sandbox.
 */
import { ApplicationFailure, ApplicationFailureCategory, ActivityFailure } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { LimitedRight, MappingValues, PsaKind } from '../psa/core/types';
import { DOMAIN_ERRORS, DomainError, isDomainFailureType, type DomainFailureDetail } from '../domain/errors';

export const integrationWorkflowId = (partnerId: string, psa: PsaKind) => `integration/${partnerId}/${psa}`;

/** What the portal and search attributes show; `revoked` is "connect again" state after a revoke. */
export type LifecycleState = 'not_connected' | 'connected' | 'unhealthy' | 'revoking' | 'revoked';

export interface IntegrationState {
  partnerId: string;
  psa: PsaKind;
  lifecycle: LifecycleState;
  /** The live connection row; null before connect and after revoke. */
  connectionId: string | null;
  healthReason: string | null;
  ticketMapped: boolean;
  /** Updates handled over the workflow's whole life (all runs). */
  changes: number;
}

export interface IntegrationWorkflowInput {
  state: IntegrationState;
}

/** Who asked: a portal user id, or 'platform' for server-to-server calls. */
export interface ChangeRequest {
  actor: string;
}

export interface ConnectRequest extends ChangeRequest {
  /** A `connecting` row whose sealed credentials the client wrote; the workflow never sees them. */
  connectionId: string;
}

export interface ConnectResult {
  connectionId: string;
  accountName: string;
  /** Rights only optional features need, missing from the API user (absent in results of older runs). */
  limitations?: LimitedRight[];
}

export interface RetestRequest extends ChangeRequest {
  /** Test the credentials the partner just re-entered (sealed in pending_credentials) instead of the stored ones. */
  pendingCredentials: boolean;
}

export interface HealthResult {
  health: 'healthy' | 'unhealthy';
  reason: string | null;
  /** Rights only optional features need, missing from the API user (absent in results of older runs). */
  limitations?: LimitedRight[];
}

export interface TicketMappingRequest extends ChangeRequest {
  values: MappingValues;
}

export interface PlanMappingRequest extends ChangeRequest {
  planId: string;
  values: MappingValues;
}

export interface PlanUnlinkRequest extends ChangeRequest {
  planId: string;
}

export interface OrganizationMappingRequest extends ChangeRequest {
  organizationId: string;
  values: MappingValues;
}

export interface OrganizationUnlinkRequest extends ChangeRequest {
  organizationId: string;
}

export interface RevokeResult {
  connectionId: string;
  unlinkedPlans: number;
  unlinkedOrganizations: number;
  stoppedWorkflows: number;
  webhookUnsubscribed: boolean;
}

export const connectUpdate = defineUpdate<ConnectResult, [ConnectRequest]>('connect');
export const retestUpdate = defineUpdate<HealthResult, [RetestRequest]>('retest');
export const setTicketMappingUpdate = defineUpdate<void, [TicketMappingRequest]>('setTicketMapping');
export const resetTicketMappingUpdate = defineUpdate<void, [ChangeRequest]>('resetTicketMapping');
export const mapPlanUpdate = defineUpdate<void, [PlanMappingRequest]>('mapPlan');
export const unlinkPlanUpdate = defineUpdate<void, [PlanUnlinkRequest]>('unlinkPlan');
export const mapOrganizationUpdate = defineUpdate<void, [OrganizationMappingRequest]>('mapOrganization');
export const unlinkOrganizationUpdate = defineUpdate<void, [OrganizationUnlinkRequest]>('unlinkOrganization');
export const revokeUpdate = defineUpdate<RevokeResult, [ChangeRequest]>('revoke');
export const integrationStateQuery = defineQuery<IntegrationState>('state');

export { DOMAIN_FAILURE_TYPES, type DomainFailureDetail } from '../domain/errors';

/**
 * A domain error as a non-retryable ApplicationFailure (type = class name, code in details).
 * BENIGN: a refused change is an expected answer, not an incident, so workers log it quietly.
 */
export function domainFailure(err: unknown): ApplicationFailure | null {
  if (!(err instanceof DomainError)) return null;
  return ApplicationFailure.create({ type: err.name, message: err.message, details: [err.failureDetail()], nonRetryable: true, category: ApplicationFailureCategory.BENIGN });
}

/** The ApplicationFailure inside an activity failure (or the failure itself). */
export function applicationFailureOf(err: unknown): ApplicationFailure | null {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause;
  return null;
}

/** Rebuilds our typed error from a failure that crossed Temporal; null when it is not one of ours. */
export function domainErrorOf(err: unknown): Error | null {
  let cur: unknown = err;
  for (let depth = 0; cur && depth < 5; depth += 1) {
    if (cur instanceof ApplicationFailure && cur.type && isDomainFailureType(cur.type)) {
      return DOMAIN_ERRORS[cur.type](cur.message, (cur.details?.[0] ?? {}) as Partial<DomainFailureDetail>);
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return null;
}
