/**
 * The platform's typed client of the integration lifecycle. Inputs are zod-validated before
 * anything is sent; results are typed; failures come back as our domain errors (RuleViolation,
 * NotFound, InvalidInput, ConnectionUnhealthyError) or typed PSA errors, never as raw Temporal
 * errors.
 *
 * CREDENTIALS AND HISTORY — we chose "seal first, pass an id": `connect` parses the credentials
 * with the vendor's schema, seals them with the KeyRing (AES-256-GCM, associated data bound to a
 * fresh row id) and writes them into a `connecting` connections row, all without Temporal. Only
 * that row id goes into the Update, so no credential — not even ciphertext — is ever in workflow
 * history. The workflow then tests and finalizes the row, or compensates by deleting it; this
 * client also deletes it when the Update is refused before the workflow ran it. Re-entered
 * credentials take the same path through `pending_credentials`.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ApplicationFailure, WorkflowIdConflictPolicy } from '@temporalio/common';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { KeyRing } from '../security/crypto';
import { sealCredentials, sealPendingCredentials } from '../security/credentials';
import { adapterFactories } from '../psa/registry';
import { PSA_KINDS, type FieldSpec, type LimitedRight, type MappingKind, type MappingValues, type Page, type PicklistOption, type PsaKind } from '../psa/core/types';
import { psaErrorFromFailure } from '../psa/core/errors';
import { InvalidInput, NotFound, parseOrThrow as parse, type FieldIssue } from '../domain/errors';
import { canonicalUuid, safeKey, safeText } from '../domain/input';
import { alreadyConnected, assertPlansMappedIn, CONNECTION_TEST_PASSED, connectInProgress, notConnected } from '../domain/rules';
import { discardConnecting, insertConnecting, liveConnection, savePendingCredentials } from '../db/repositories/integrations';
import { partnerExists } from '../db/repositories/directory';
import { ticketMappingOf } from '../db/repositories/mappings';
import { createAdapterProvider, type PsaRuntimeOptions } from '../infra/psa-adapters';
import { integrationWorkflow, initialIntegrationState } from '../workflows/integration';
import { LifecycleStateKey, PartnerIdKey, VendorKey } from '../workflows/search-attributes';
import {
  connectUpdate,
  domainErrorOf,
  integrationStateQuery,
  integrationWorkflowId,
  mapOrganizationUpdate,
  mapPlanUpdate,
  resetTicketMappingUpdate,
  retestUpdate,
  revokeUpdate,
  setTicketMappingUpdate,
  unlinkOrganizationUpdate,
  unlinkPlanUpdate,
  type ConnectResult,
  type HealthResult,
  type IntegrationState,
  type RevokeResult,
} from '../workflows/integration-messages';
import type { ClientDeps } from './deps';

export type { ConnectResult, HealthResult, IntegrationState, RevokeResult } from '../workflows/integration-messages';

export const psaSchema = z.enum(PSA_KINDS);
/** Ids name workflows as given, so only the canonical (lower-case) spelling is accepted. */
export const idSchema = canonicalUuid();
/** Field name → chosen option id; every value a non-empty string. */
export const mappingValuesSchema = z.record(safeKey(100), safeText().max(200));
export const actorSchema = safeText().min(1).max(100);

/** A `connecting` row older than this belongs to an attempt whose caller vanished. */
const STALE_CONNECTING_MS = 10 * 60_000;

/**
 * The vendor's credentials schema, made strict so a stray field (a tenant id, a role) is refused
 * rather than silently dropped. Field issues are keyed `credentials.<field>`.
 */
export function parseCredentials(psa: PsaKind, raw: unknown): unknown {
  const schema = adapterFactories[psa].credentialsSchema as z.ZodType;
  const strict = schema instanceof z.ZodObject ? schema.strict() : schema;
  return parse(strict, raw, 'credentials');
}

/** Vendor field names that are secret, so they are never echoed back or logged. */
export const secretFieldsOf = (psa: PsaKind) => adapterFactories[psa].secretFields;

export interface IntegrationsClientDeps extends ClientDeps {
  keys: KeyRing;
  psa: PsaRuntimeOptions;
}

export interface MappingForm {
  kind: MappingKind;
  fields: readonly FieldSpec[];
  values: MappingValues | null;
}

/** Temporal's failure → our typed error (domain error, or the PSA error class it came from). */
export function typedErrorOf(err: unknown): unknown {
  const domain = domainErrorOf(err);
  if (domain) return domain;
  for (let cur: unknown = err, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth += 1) {
    if (cur instanceof ApplicationFailure && cur.type) {
      const psa = psaErrorFromFailure(cur.type, cur.message);
      if (psa) return psa;
    }
  }
  return err;
}

/** A connection test's result with the sentence the portal shows. */
/** A test's answer: the seed's sentence when it passed, and the rights only optional features need that are missing. */
export type TestAnswer = HealthResult & { message: string; limitations: LimitedRight[] };
const testAnswer = (result: HealthResult): TestAnswer => ({
  ...result,
  limitations: result.limitations ?? [],
  message: result.health === 'healthy' ? CONNECTION_TEST_PASSED : (result.reason ?? 'The connection is unhealthy'),
});

export function createIntegrationsClient(deps: IntegrationsClientDeps) {
  const { db, keys, temporal, taskQueue } = deps;
  const adapters = createAdapterProvider(db, keys, deps.psa);
  /** Lifecycle workflows this process has already made sure are running. */
  const started = new Set<string>();

  /**
   * The lifecycle workflow of a partner × PSA, started on first use. A fresh run takes its
   * initial state from the read model, so it also recovers an integration whose workflow was
   * terminated by an operator.
   */
  async function workflow(partnerId: string, psa: PsaKind): Promise<WorkflowHandle<typeof integrationWorkflow>> {
    const workflowId = integrationWorkflowId(partnerId, psa);
    const state = initialIntegrationState(partnerId, psa);
    const live = await liveConnection(db, partnerId, psa);
    if (live && live.status !== 'connecting') {
      state.connectionId = live.id;
      state.lifecycle = live.status === 'revoking' ? 'revoking' : live.health === 'unhealthy' ? 'unhealthy' : 'connected';
      state.healthReason = live.healthReason;
      state.ticketMapped = (await ticketMappingOf(db, live.id)) !== null;
    }
    await temporal.workflow.start(integrationWorkflow, {
      workflowId,
      taskQueue,
      args: [{ state }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      typedSearchAttributes: [
        { key: PartnerIdKey, value: partnerId },
        { key: VendorKey, value: psa },
        { key: LifecycleStateKey, value: state.lifecycle },
      ],
    });
    // Not the handle `start` returned: with USE_EXISTING its run id is the current run, which a
    // continue-as-new closes. An unpinned handle follows the chain to the latest run.
    return temporal.workflow.getHandle<typeof integrationWorkflow>(workflowId);
  }

  async function call<T>(partnerId: string, psa: PsaKind, send: (h: WorkflowHandle<typeof integrationWorkflow>) => Promise<T>): Promise<T> {
    parse(idSchema, partnerId, 'partnerId');
    parse(psaSchema, psa, 'psa');
    if (!(await partnerExists(db, partnerId))) throw new NotFound('Partner');
    const workflowId = integrationWorkflowId(partnerId, psa);
    try {
      // Start (idempotent) only the first time this process talks to the integration; afterwards
      // one RPC per change. A workflow that ended meanwhile (terminated by ops) is started again.
      if (!started.has(workflowId)) {
        await workflow(partnerId, psa);
        started.add(workflowId);
      }
      const handle = temporal.workflow.getHandle<typeof integrationWorkflow>(workflowId);
      try {
        return await send(handle);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        await workflow(partnerId, psa);
        return await send(handle);
      }
    } catch (err) {
      throw typedErrorOf(err);
    }
  }

  async function insertConnectingRow(partnerId: string, psa: PsaKind, credentials: unknown): Promise<string> {
    if (!(await partnerExists(db, partnerId))) throw new NotFound('Partner');
    const live = await liveConnection(db, partnerId, psa);
    if (live && live.status !== 'connecting') throw alreadyConnected(psa);
    if (live) {
      if (Date.now() - live.createdAt.getTime() < STALE_CONNECTING_MS) throw connectInProgress(psa);
      await discardConnecting(db, live.id);
    }
    const id = randomUUID();
    try {
      await insertConnecting(db, { id, partnerId, psa, ...sealCredentials(keys, id, credentials) });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw connectInProgress(psa); // another connect won the race
      throw err;
    }
    return id;
  }

  async function connectedAdapter(partnerId: string, psa: PsaKind) {
    const live = await liveConnection(db, partnerId, psa);
    if (!live || live.status !== 'connected') throw notConnected(psa);
    return adapters.forConnection(live.id); // refuses an Unhealthy connection before any PSA call
  }

  return {
    workflow,

    /** Tests the credentials against the PSA and, if they work, stores them encrypted: Connected + Healthy. */
    async connect(partnerId: string, psa: PsaKind, rawCredentials: unknown, actor: string): Promise<ConnectResult & { message: string; limitations: LimitedRight[] }> {
      const credentials = parseCredentials(psa, rawCredentials);
      parse(actorSchema, actor, 'actor');
      parse(idSchema, partnerId, 'partnerId');
      const connectionId = await insertConnectingRow(partnerId, psa, credentials);
      try {
        const result = await call(partnerId, psa, (h) => h.executeUpdate(connectUpdate, { args: [{ connectionId, actor }] }));
        return { ...result, limitations: result.limitations ?? [], message: CONNECTION_TEST_PASSED };
      } finally {
        // The workflow compensates a failed test itself; this covers an Update refused before it ran.
        await discardConnecting(db, connectionId);
      }
    },

    /** Re-tests the stored credentials (the only PSA call allowed while Unhealthy). */
    async retest(partnerId: string, psa: PsaKind, actor: string): Promise<TestAnswer> {
      return testAnswer(await call(partnerId, psa, (h) => h.executeUpdate(retestUpdate, { args: [{ actor, pendingCredentials: false }] })));
    },

    /** Re-entered credentials: they replace the stored ones only if the PSA accepts them; Healthy again. */
    async updateCredentials(partnerId: string, psa: PsaKind, rawCredentials: unknown, actor: string): Promise<TestAnswer> {
      const credentials = parseCredentials(psa, rawCredentials);
      parse(idSchema, partnerId, 'partnerId');
      const live = await liveConnection(db, partnerId, psa);
      if (!live || live.status !== 'connected') throw notConnected(psa);
      await savePendingCredentials(db, live.id, sealPendingCredentials(keys, live.id, credentials));
      return testAnswer(await call(partnerId, psa, (h) => h.executeUpdate(retestUpdate, { args: [{ actor, pendingCredentials: true }] })));
    },

    setTicketMapping(partnerId: string, psa: PsaKind, values: MappingValues, actor: string): Promise<void> {
      const v = parse(mappingValuesSchema, values, 'values');
      return call(partnerId, psa, (h) => h.executeUpdate(setTicketMappingUpdate, { args: [{ actor, values: v }] }));
    },

    /** Clears only the ticket mapping; the connection stays. */
    resetTicketMapping(partnerId: string, psa: PsaKind, actor: string): Promise<void> {
      return call(partnerId, psa, (h) => h.executeUpdate(resetTicketMappingUpdate, { args: [{ actor }] }));
    },

    mapPlan(partnerId: string, psa: PsaKind, planId: string, values: MappingValues, actor: string): Promise<void> {
      const args = { actor, planId: parse(idSchema, planId, 'planId'), values: parse(mappingValuesSchema, values, 'values') };
      return call(partnerId, psa, (h) => h.executeUpdate(mapPlanUpdate, { args: [args] }));
    },

    unlinkPlan(partnerId: string, psa: PsaKind, planId: string, actor: string): Promise<void> {
      return call(partnerId, psa, (h) => h.executeUpdate(unlinkPlanUpdate, { args: [{ actor, planId: parse(idSchema, planId, 'planId') }] }));
    },

    mapOrganization(partnerId: string, psa: PsaKind, organizationId: string, values: MappingValues, actor: string): Promise<void> {
      const args = { actor, organizationId: parse(idSchema, organizationId, 'organizationId'), values: parse(mappingValuesSchema, values, 'values') };
      return call(partnerId, psa, (h) => h.executeUpdate(mapOrganizationUpdate, { args: [args] }));
    },

    unlinkOrganization(partnerId: string, psa: PsaKind, organizationId: string, actor: string): Promise<void> {
      return call(partnerId, psa, (h) => h.executeUpdate(unlinkOrganizationUpdate, { args: [{ actor, organizationId: parse(idSchema, organizationId, 'organizationId') }] }));
    },

    /** Unlinks everything of this PSA, stops its syncs, wipes the credentials. Safe to call again. */
    revoke(partnerId: string, psa: PsaKind, actor: string): Promise<RevokeResult> {
      return call(partnerId, psa, (h) => h.executeUpdate(revokeUpdate, { args: [{ actor }] }));
    },

    state(partnerId: string, psa: PsaKind): Promise<IntegrationState> {
      return call(partnerId, psa, (h) => h.query(integrationStateQuery));
    },

    /** The fields of a mapping form and the values chosen so far (ticket mapping only). */
    async mappingForm(partnerId: string, psa: PsaKind, kind: MappingKind): Promise<MappingForm> {
      const { adapter, connection } = await connectedAdapter(partnerId, psa);
      if (kind === 'plan') assertPlansMappedIn(psa);
      const values = kind === 'ticket' ? await ticketMappingOf(db, connection.id) : null;
      return { kind, fields: adapter.fields[kind], values };
    },

    /** One page of options of one field, narrowed by the parents chosen so far. A read: no workflow involved. */
    async fieldOptions(
      partnerId: string,
      psa: PsaKind,
      kind: MappingKind,
      field: string,
      query: { parents?: MappingValues; search?: string; cursor?: string | null; pageSize?: number } = {},
    ): Promise<Page<PicklistOption>> {
      const { adapter } = await connectedAdapter(partnerId, psa);
      const spec = adapter.fields[kind].find((f) => f.name === field);
      if (!spec) throw new InvalidInput([{ field: 'field', message: `${field} is not a field of the ${kind} form` } satisfies FieldIssue]);
      if (spec.type === 'boolean') return { items: [{ id: 'true', name: 'Yes' }, { id: 'false', name: 'No' }], nextCursor: null };
      return adapter.options(kind, field, query);
    },
  };
}

export type IntegrationsClient = ReturnType<typeof createIntegrationsClient>;
