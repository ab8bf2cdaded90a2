/**
 * Records the service-ticket history the replay tier keeps for today's workflow code
 * (test/replay/histories/service-ticket-r<revision>-lifecycle.json):
 * `RECORD_HISTORIES=1 npx jest test/workflow/service-ticket-record`. Skipped otherwise, so
 * ordinary runs never rewrite committed fixtures. Payloads are sealed with the replay key.
 */
import { seedTenants } from '../helpers/seed';
import { startStack, type Stack } from '../helpers/stack';
import { connectIntegration } from '../helpers/integration-fixture';
import { REPLAY_KEYS } from '../replay/keys';
import { saveHistory } from '../replay/histories';
import { SERVICE_TICKET_REVISION, serviceTicketWorkflowId } from '../../workflows/ticket-messages';
import { alertEvent, startTicketRig, waitFor } from './tickets-helpers';

const maybe = process.env.RECORD_HISTORIES ? test : test.skip;

maybe('record a service-ticket lifecycle: open, debounced note, close, reopen on flapping, close', async () => {
  const stack: Stack = await startStack('service-ticket-record', { keys: REPLAY_KEYS });
  const rig = await startTicketRig(stack);
  try {
    const tenants = await seedTenants(stack.db, { organizationsPerPartner: 1 });
    const org = tenants.direct.organizationIds[0] as string;
    await connectIntegration(stack.db, REPLAY_KEYS, stack.sims, { partnerId: tenants.direct.id, psa: 'connectwise', organizationIds: [org] });
    const outcome = async (eventId: string) =>
      waitFor(`alert ${eventId} handled`, async () => (await stack.db.selectFrom('alerts').select('outcome').where('eventId', '=', eventId).executeTakeFirstOrThrow()).outcome);
    const send = async (event: 'raised' | 'recovered') => {
      const e = alertEvent(org, 'backup_failed', event);
      await rig.alerts.reportAlert(e);
      return e.eventId;
    };

    expect(await outcome(await send('raised'))).toBe('ticket_created');
    const repeats = [await send('raised'), await send('raised')];
    for (const id of repeats) expect(await outcome(id)).toBe('noted');
    expect(await outcome(await send('recovered'))).toBe('closed');
    expect(await outcome(await send('raised'))).toBe('ticket_reopened');
    expect(await outcome(await send('recovered'))).toBe('closed');

    const handle = stack.client.workflow.getHandle(serviceTicketWorkflowId(org, 'backup_failed'));
    await handle.result();
    console.log(`recorded ${await saveHistory(handle, `service-ticket-r${SERVICE_TICKET_REVISION}-lifecycle`)}`);
  } finally {
    await rig.stop();
    await stack.close();
  }
});
