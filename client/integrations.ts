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
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Db } from '../db/connect';
import type { KeyRing } from '../security/crypto';
import { adapterFactories } from '../psa/registry';
import { PSA_KINDS, type FieldSpec, type MappingKind, type MappingValues, type Page, type PicklistOption, type PsaKind } from '../psa/core/types';
import {
  PsaAuthError,
  PsaConfigError,
  PsaNotFoundError,
  PsaPermissionError,
  PsaRateLimitedError,
  PsaUnavailableError,
  PsaValidationError,
} from '../psa/core/errors';
import { InvalidInput, NotFound, type FieldIssue } from '../domain/errors';
import { canonicalUuid, safeKey, safeText } from '../domain/input';
import { alreadyConnected, assertPlansMappedIn, connectInProgress, notConnected } from '../domain/rules';
import { liveConnection, ticketMappingOf } from '../db/repositories/integrations';
import { createAdapterProvider, sealCredentials, type AdapterProvider } from '../activities/psa-connections';
import { pendingCredentialsAad } from '../activities/lifecycle-connect';
import type { PsaRuntimeOptions } from '../activities/deps';
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

export type { ConnectResult, HealthResult, IntegrationState, RevokeResult } from '../workflows/integration-messages';

export const psaSchema = z.enum(PSA_KINDS);
/** Ids name workflows as given, so only the canonical (lower-case) spelling is accepted. */
export const idSchema = canonicalUuid();
/** Field name → chosen option id; every value a non-empty string. */
export const mappingValuesSchema = z.record(safeKey(100), safeText().max(200));
export const actorSchema = safeText().min(1).max(100);

/** A `connecting` row older than this belongs to an attempt whose caller vanished. */
const STALE_CONNECTING_MS = 10 * 60_000;

function parse<T extends z.ZodType>(schema: T, value: unknown, field: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new InvalidInput(r.error.issues.map((i) => ({ field: [field, ...i.path.map(String)].filter(Boolean).join('.'), message: i.message })));
}

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

export interface IntegrationsClientDeps {
  temporal: Client;
  db: Db;
  keys: KeyRing;
  taskQueue: string;
  psa: PsaRuntimeOptions;
}

export interface MappingForm {
  kind: MappingKind;
  fields: readonly FieldSpec[];
  values: MappingValues | null;
}

const PSA_ERRORS: Record<string, new (message: string) => Error> = {
  PsaAuthError,
  PsaPermissionError,
  PsaNotFoundError,
  PsaValidationError,
  PsaConfigError,
  PsaUnavailableError,
};

/** Temporal's failure → our typed error (domain error, or the PSA error class it came from). */
export function typedErrorOf(err: unknown): unknown {
  const domain = domainErrorOf(err);
  if (domain) return domain;
  for (let cur: unknown = err, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth += 1) {
    if (cur instanceof ApplicationFailure && cur.type) {
      if (cur.type === 'PsaRateLimitedError') return new PsaRateLimitedError(cur.message, { retryAfterMs: 1000 });
      const PsaClass = PSA_ERRORS[cur.type];
      if (PsaClass) return new PsaClass(cur.message);
    }
  }
  return err;
}

export class IntegrationsClient {
  private readonly adapters: AdapterProvider;
  /** Lifecycle workflows this process has already made sure are running. */
  private readonly started = new Set<string>();

  constructor(private readonly deps: IntegrationsClientDeps) {
    this.adapters = createAdapterProvider(deps.db, deps.keys, deps.psa);
  }

  /**
   * The lifecycle workflow of a partner × PSA, started on first use. A fresh run takes its
   * initial state from the read model, so it also recovers an integration whose workflow was
   * terminated by an operator.
   */
  async workflow(partnerId: string, psa: PsaKind): Promise<WorkflowHandle<typeof integrationWorkflow>> {
    const workflowId = integrationWorkflowId(partnerId, psa);
    const state = initialIntegrationState(partnerId, psa);
    const live = await liveConnection(this.deps.db, partnerId, psa);
    if (live && live.status !== 'connecting') {
      state.connectionId = live.id;
      state.lifecycle = live.status === 'revoking' ? 'revoking' : live.health === 'unhealthy' ? 'unhealthy' : 'connected';
      state.healthReason = live.healthReason;
      state.ticketMapped = (await ticketMappingOf(this.deps.db, live.id)) !== null;
    }
    await this.deps.temporal.workflow.start(integrationWorkflow, {
      workflowId,
      taskQueue: this.deps.taskQueue,
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
    return this.deps.temporal.workflow.getHandle<typeof integrationWorkflow>(workflowId);
  }

  private async call<T>(partnerId: string, psa: PsaKind, send: (h: WorkflowHandle<typeof integrationWorkflow>) => Promise<T>): Promise<T> {
    parse(idSchema, partnerId, 'partnerId');
    parse(psaSchema, psa, 'psa');
    const partner = await this.deps.db.selectFrom('partners').select('id').where('id', '=', partnerId).executeTakeFirst();
    if (!partner) throw new NotFound('Partner');
    const workflowId = integrationWorkflowId(partnerId, psa);
    try {
      // Start (idempotent) only the first time this process talks to the integration; afterwards
      // one RPC per change. A workflow that ended meanwhile (terminated by ops) is started again.
      if (!this.started.has(workflowId)) {
        await this.workflow(partnerId, psa);
        this.started.add(workflowId);
      }
      const handle = this.deps.temporal.workflow.getHandle<typeof integrationWorkflow>(workflowId);
      try {
        return await send(handle);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        await this.workflow(partnerId, psa);
        return await send(handle);
      }
    } catch (err) {
      throw typedErrorOf(err);
    }
  }

  /** Tests the credentials against the PSA and, if they work, stores them encrypted: Connected + Healthy. */
  async connect(partnerId: string, psa: PsaKind, rawCredentials: unknown, actor: string): Promise<ConnectResult> {
    const credentials = parseCredentials(psa, rawCredentials);
    parse(actorSchema, actor, 'actor');
    parse(idSchema, partnerId, 'partnerId');
    const connectionId = await this.insertConnecting(partnerId, psa, credentials);
    try {
      return await this.call(partnerId, psa, (h) => h.executeUpdate(connectUpdate, { args: [{ connectionId, actor }] }));
    } finally {
      // The workflow compensates a failed test itself; this covers an Update refused before it ran.
      await this.deps.db.deleteFrom('connections').where('id', '=', connectionId).where('status', '=', 'connecting').execute();
    }
  }

  private async insertConnecting(partnerId: string, psa: PsaKind, credentials: unknown): Promise<string> {
    const { db, keys } = this.deps;
    const partner = await db.selectFrom('partners').select('id').where('id', '=', partnerId).executeTakeFirst();
    if (!partner) throw new NotFound('Partner');
    const live = await liveConnection(db, partnerId, psa);
    if (live && live.status !== 'connecting') throw alreadyConnected(psa);
    if (live) {
      if (Date.now() - live.createdAt.getTime() < STALE_CONNECTING_MS) throw connectInProgress(psa);
      await db.deleteFrom('connections').where('id', '=', live.id).where('status', '=', 'connecting').execute();
    }
    const id = randomUUID();
    try {
      await db.insertInto('connections').values({ id, partnerId, psa, status: 'connecting', site: JSON.stringify({}), ...sealCredentials(keys, id, credentials) }).execute();
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw connectInProgress(psa); // another connect won the race
      throw err;
    }
    return id;
  }

  /** Re-tests the stored credentials (the only PSA call allowed while Unhealthy). */
  retest(partnerId: string, psa: PsaKind, actor: string): Promise<HealthResult> {
    return this.call(partnerId, psa, (h) => h.executeUpdate(retestUpdate, { args: [{ actor, pendingCredentials: false }] }));
  }

  /** Re-entered credentials: they replace the stored ones only if the PSA accepts them; Healthy again. */
  async updateCredentials(partnerId: string, psa: PsaKind, rawCredentials: unknown, actor: string): Promise<HealthResult> {
    const credentials = parseCredentials(psa, rawCredentials);
    parse(idSchema, partnerId, 'partnerId');
    const live = await liveConnection(this.deps.db, partnerId, psa);
    if (!live || live.status !== 'connected') throw notConnected(psa);
    const sealed = this.deps.keys.sealJson(credentials, pendingCredentialsAad(live.id));
    await this.deps.db
      .insertInto('pendingCredentials')
      .values({ connectionId: live.id, credentials: sealed, credentialsKeyId: this.deps.keys.activeKeyId, createdAt: undefined })
      .onConflict((oc) => oc.column('connectionId').doUpdateSet({ credentials: sealed, credentialsKeyId: this.deps.keys.activeKeyId }))
      .execute();
    return this.call(partnerId, psa, (h) => h.executeUpdate(retestUpdate, { args: [{ actor, pendingCredentials: true }] }));
  }

  setTicketMapping(partnerId: string, psa: PsaKind, values: MappingValues, actor: string): Promise<void> {
    const v = parse(mappingValuesSchema, values, 'values');
    return this.call(partnerId, psa, (h) => h.executeUpdate(setTicketMappingUpdate, { args: [{ actor, values: v }] }));
  }

  /** Clears only the ticket mapping; the connection stays. */
  resetTicketMapping(partnerId: string, psa: PsaKind, actor: string): Promise<void> {
    return this.call(partnerId, psa, (h) => h.executeUpdate(resetTicketMappingUpdate, { args: [{ actor }] }));
  }

  mapPlan(partnerId: string, psa: PsaKind, planId: string, values: MappingValues, actor: string): Promise<void> {
    const id = parse(idSchema, planId, 'planId');
    const v = parse(mappingValuesSchema, values, 'values');
    return this.call(partnerId, psa, (h) => h.executeUpdate(mapPlanUpdate, { args: [{ actor, planId: id, values: v }] }));
  }

  unlinkPlan(partnerId: string, psa: PsaKind, planId: string, actor: string): Promise<void> {
    const id = parse(idSchema, planId, 'planId');
    return this.call(partnerId, psa, (h) => h.executeUpdate(unlinkPlanUpdate, { args: [{ actor, planId: id }] }));
  }

  mapOrganization(partnerId: string, psa: PsaKind, organizationId: string, values: MappingValues, actor: string): Promise<void> {
    const id = parse(idSchema, organizationId, 'organizationId');
    const v = parse(mappingValuesSchema, values, 'values');
    return this.call(partnerId, psa, (h) => h.executeUpdate(mapOrganizationUpdate, { args: [{ actor, organizationId: id, values: v }] }));
  }

  unlinkOrganization(partnerId: string, psa: PsaKind, organizationId: string, actor: string): Promise<void> {
    const id = parse(idSchema, organizationId, 'organizationId');
    return this.call(partnerId, psa, (h) => h.executeUpdate(unlinkOrganizationUpdate, { args: [{ actor, organizationId: id }] }));
  }

  /** Unlinks everything of this PSA, stops its syncs, wipes the credentials. Safe to call again. */
  revoke(partnerId: string, psa: PsaKind, actor: string): Promise<RevokeResult> {
    return this.call(partnerId, psa, (h) => h.executeUpdate(revokeUpdate, { args: [{ actor }] }));
  }

  state(partnerId: string, psa: PsaKind): Promise<IntegrationState> {
    return this.call(partnerId, psa, (h) => h.query(integrationStateQuery));
  }

  /** The fields of a mapping form and the values chosen so far (ticket mapping only). */
  async mappingForm(partnerId: string, psa: PsaKind, kind: MappingKind): Promise<MappingForm> {
    const { adapter, connection } = await this.connectedAdapter(partnerId, psa);
    if (kind === 'plan') assertPlansMappedIn(psa);
    const values = kind === 'ticket' ? await ticketMappingOf(this.deps.db, connection.id) : null;
    return { kind, fields: adapter.fields[kind], values };
  }

  /** One page of options of one field, narrowed by the parents chosen so far. A read: no workflow involved. */
  async fieldOptions(
    partnerId: string,
    psa: PsaKind,
    kind: MappingKind,
    field: string,
    query: { parents?: MappingValues; search?: string; cursor?: string | null; pageSize?: number } = {},
  ): Promise<Page<PicklistOption>> {
    const { adapter } = await this.connectedAdapter(partnerId, psa);
    const spec = adapter.fields[kind].find((f) => f.name === field);
    if (!spec) throw new InvalidInput([{ field: 'field', message: `${field} is not a field of the ${kind} form` } satisfies FieldIssue]);
    if (spec.type === 'boolean') return { items: [{ id: 'true', name: 'Yes' }, { id: 'false', name: 'No' }], nextCursor: null };
    return adapter.options(kind, field, query);
  }

  private async connectedAdapter(partnerId: string, psa: PsaKind) {
    const live = await liveConnection(this.deps.db, partnerId, psa);
    if (!live || live.status !== 'connected') throw notConnected(psa);
    return this.adapters.forConnection(live.id); // refuses an Unhealthy connection before any PSA call
  }
}
