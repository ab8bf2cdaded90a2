/**
 * The integration lifecycle: one long-lived workflow per partner × PSA
 * (`integration/<partnerId>/<psa>`). Every change arrives as an Update; its validator refuses
 * what the current state already rules out (the caller gets a typed error and nothing enters
 * history), and accepted changes run one at a time through a queue, so two clicks never
 * interleave their activities. The workflow carries connection ids only, never credentials.
 * After a batch of changes (or when Temporal suggests it) it continues as new with its state.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { UpdateHandlerOptions } from '@temporalio/workflow/lib/interfaces';
import type { LifecycleActivities } from '../activities/lifecycle';
import { ConnectionUnhealthyError } from '../domain/errors';
import { alreadyConnected, assertPlansMappedIn, notConnected } from '../domain/rules';
import { dbActivity, psaActivity } from './options';
import { LifecycleStateKey, PartnerIdKey, VendorKey } from './search-attributes';
import {
  applicationFailureOf,
  connectUpdate,
  domainFailure,
  integrationStateQuery,
  mapOrganizationUpdate,
  mapPlanUpdate,
  resetTicketMappingUpdate,
  retestUpdate,
  revokeUpdate,
  setTicketMappingUpdate,
  unlinkOrganizationUpdate,
  unlinkPlanUpdate,
  type IntegrationState,
  type IntegrationWorkflowInput,
  type RevokeResult,
} from './integration-messages';

const local = proxyActivities<LifecycleActivities>(dbActivity);
// PSA-calling activities heartbeat (activities/lifecycle-support.ts), so a dead worker's call is
// retried after seconds, not after the 2-minute start-to-close timeout.
const remote = proxyActivities<LifecycleActivities>({ ...psaActivity, heartbeatTimeout: '5s' });

/** Changes handled per run before continue-as-new (~15 history events each). */
export const DEFAULT_CHANGES_PER_RUN = 100;

export const initialIntegrationState = (partnerId: string, psa: IntegrationState['psa']): IntegrationState => ({
  partnerId,
  psa,
  lifecycle: 'not_connected',
  connectionId: null,
  healthReason: null,
  ticketMapped: false,
  changes: 0,
});

/** Runs async jobs strictly one after another, in arrival order. */
function serialQueue() {
  let tail: Promise<unknown> = Promise.resolve();
  let pending = 0;
  return {
    get idle() {
      return pending === 0;
    },
    run<T>(job: () => Promise<T>): Promise<T> {
      pending += 1;
      const result = tail.then(job).finally(() => {
        pending -= 1;
      });
      tail = result.catch(() => undefined);
      return result;
    },
  };
}

export async function integrationWorkflow(input: IntegrationWorkflowInput & { changesPerRun?: number }): Promise<void> {
  const state: IntegrationState = { ...input.state };
  const changesPerRun = input.changesPerRun ?? DEFAULT_CHANGES_PER_RUN;
  const queue = serialQueue();
  let changesThisRun = 0;

  const publish = () =>
    upsertSearchAttributes([
      { key: PartnerIdKey, value: state.partnerId },
      { key: VendorKey, value: state.psa },
      { key: LifecycleStateKey, value: state.lifecycle },
    ]);
  publish();

  /** Domain errors thrown by the guards leave as typed failures (validators and handlers alike). */
  const guarded = (check: () => void) => {
    try {
      check();
    } catch (err) {
      throw domainFailure(err) ?? err;
    }
  };
  const requireConnection = (): string => {
    if (state.connectionId === null || state.lifecycle === 'revoking') throw notConnected(state.psa);
    return state.connectionId;
  };
  const requireHealthy = (): string => {
    const id = requireConnection();
    if (state.lifecycle === 'unhealthy') throw new ConnectionUnhealthyError(state.healthReason);
    return id;
  };

  /** Serializes a change; an activity's typed failure becomes the Update's failure. */
  const change = <T>(check: () => void, body: () => Promise<T>): Promise<T> =>
    queue.run(async () => {
      guarded(check); // the state may have changed while this update waited in the queue
      try {
        return await body();
      } catch (err) {
        const failure = applicationFailureOf(err);
        if (failure?.type === 'ConnectionUnhealthyError' && state.connectionId !== null) {
          state.lifecycle = 'unhealthy';
          state.healthReason = (failure.details?.[0] as { reason?: string } | undefined)?.reason ?? null;
          publish();
        }
        throw failure ?? ApplicationFailure.create({ type: 'LifecycleError', message: err instanceof Error ? err.message : String(err), nonRetryable: true });
      } finally {
        state.changes += 1;
        changesThisRun += 1;
      }
    });

  const validatedBy = <A extends unknown[]>(check: () => void): UpdateHandlerOptions<A> => ({ validator: () => guarded(check) });
  const whenHealthy = validatedBy(requireHealthy);
  const whenConnected = validatedBy(requireConnection);

  setHandler(integrationStateQuery, () => state);

  setHandler(
    connectUpdate,
    ({ connectionId, actor }) =>
      change(
        () => {
          if (state.connectionId !== null) throw alreadyConnected(state.psa);
        },
        async () => {
          try {
            const result = await remote.finalizeConnect({ connectionId, actor });
            Object.assign(state, { connectionId, lifecycle: 'connected', healthReason: null, ticketMapped: false });
            publish();
            return result;
          } catch (err) {
            // Compensation: a failed connect leaves nothing stored.
            await local.discardConnection({ connectionId, actor });
            throw err;
          }
        },
      ),
    {
      validator: ({ connectionId }) =>
        guarded(() => {
          if (state.connectionId !== null) throw alreadyConnected(state.psa);
          if (typeof connectionId !== 'string' || connectionId.length === 0) throw notConnected(state.psa);
        }),
    },
  );

  setHandler(
    retestUpdate,
    (req) =>
      change(requireConnection, async () => {
        const connectionId = requireConnection();
        const result = await remote.retestConnection({ ...req, connectionId });
        state.lifecycle = result.health === 'healthy' ? 'connected' : 'unhealthy';
        state.healthReason = result.reason;
        publish();
        return result;
      }),
    whenConnected,
  );

  setHandler(
    setTicketMappingUpdate,
    (req) =>
      change(requireHealthy, async () => {
        await remote.saveTicketMapping({ ...req, connectionId: requireHealthy() });
        state.ticketMapped = true;
      }),
    whenHealthy,
  );

  setHandler(
    resetTicketMappingUpdate,
    (req) =>
      change(requireConnection, async () => {
        await local.resetTicketMapping({ ...req, connectionId: requireConnection() });
        state.ticketMapped = false;
      }),
    whenConnected,
  );

  const planCheck = () => {
    requireHealthy();
    assertPlansMappedIn(state.psa);
  };
  setHandler(mapPlanUpdate, (req) => change(planCheck, () => remote.mapPlan({ ...req, connectionId: requireHealthy() })), validatedBy(planCheck));
  setHandler(unlinkPlanUpdate, (req) => change(requireConnection, () => local.unlinkPlan({ ...req, connectionId: requireConnection() })), whenConnected);

  setHandler(mapOrganizationUpdate, (req) => change(requireHealthy, () => remote.mapOrganization({ ...req, connectionId: requireHealthy() })), whenHealthy);
  setHandler(
    unlinkOrganizationUpdate,
    (req) => change(requireConnection, () => local.unlinkOrganization({ ...req, connectionId: requireConnection() })),
    whenConnected,
  );

  // Revoke is accepted while revoking too: a failed revoke is finished by asking again.
  const requireRevocable = () => {
    if (state.connectionId === null) throw notConnected(state.psa);
  };
  setHandler(
    revokeUpdate,
    ({ actor }) =>
      change(requireRevocable, async (): Promise<RevokeResult> => {
        const connectionId = state.connectionId as string;
        state.lifecycle = 'revoking';
        publish();
        await local.beginRevoke({ connectionId, actor });
        const unlinked = await local.unlinkAllMappings({ connectionId, actor });
        const stoppedWorkflows = await local.stopSyncs({ partnerId: state.partnerId, psa: state.psa, exceptWorkflowId: workflowInfo().workflowId });
        const webhookUnsubscribed = await remote.unsubscribeWebhooks({ connectionId, actor });
        await local.wipeCredentials({ connectionId, actor });
        Object.assign(state, { connectionId: null, lifecycle: 'revoked', healthReason: null, ticketMapped: false });
        publish();
        return { connectionId, unlinkedPlans: unlinked.plans, unlinkedOrganizations: unlinked.organizations, stoppedWorkflows, webhookUnsubscribed };
      }),
    validatedBy(requireRevocable),
  );

  await condition(() => changesThisRun >= changesPerRun || workflowInfo().continueAsNewSuggested);
  // Let accepted updates finish so none is lost, then start afresh with the state as argument.
  await condition(() => queue.idle && allHandlersFinished());
  await continueAsNew<typeof integrationWorkflow>({ state, changesPerRun });
}
