/**
 * Records the service-ticket histories the replay tier keeps (test/replay/histories/service-ticket-*.json):
 * `RECORD_HISTORIES=1 npx jest test/workflow/service-ticket-record`. Skipped otherwise, so
 * ordinary runs never rewrite committed fixtures. Payloads are sealed with the replay key.
 */
import { seedTenants } from '../helpers/seed';
import { startStack, type Stack } from '../helpers/stack';
import { connectIntegration } from '../helpers/integration-fixture';
import { REPLAY_KEYS } from '../replay/keys';
import { saveHistory } from '../replay/histories';
import { serviceTicketWorkflowId } from '../../workflows/ticket-messages';
import { alertEvent, startTicketRig, waitFor, type TicketRig } from './tickets-helpers';

const maybe = process.env.RECORD_HISTORIES ? test : test.skip;

let stack: Stack;
let rig: TicketRig;

beforeAll(async () => {
  if (!process.env.RECORD_HISTORIES) return;
  stack = await startStack('service-ticket-record', { keys: REPLAY_KEYS });
  rig = await startTicketRig(stack);
});
afterAll(async () => {
  await rig?.stop();
  await stack?.close();
});

const outcome = (eventId: string) =>
  waitFor(`alert ${eventId} handled`, async () => (await stack.db.selectFrom('alerts').select('outcome').where('eventId', '=', eventId).executeTakeFirstOrThrow()).outcome);
const send = async (org: string, event: 'raised' | 'recovered') => {
  const e = alertEvent(org, 'backup_failed', event);
  await rig.alerts.reportAlert(e);
  return e.eventId;
};
const record = async (org: string, name: string) => {
  const handle = stack.client.workflow.getHandle(serviceTicketWorkflowId(org, 'backup_failed'));
  await handle.result();
  console.log(`recorded ${await saveHistory(handle, name)}`);
};

maybe('record a service-ticket lifecycle: open, debounced note, close, reopen on flapping, close', async () => {
  const tenants = await seedTenants(stack.db, { organizationsPerPartner: 1 });
  const org = tenants.direct.organizationIds[0] as string;
  await connectIntegration(stack.db, REPLAY_KEYS, stack.sims, { partnerId: tenants.direct.id, psa: 'connectwise', organizationIds: [org] });

  expect(await outcome(await send(org, 'raised'))).toBe('ticket_created');
  const repeats = [await send(org, 'raised'), await send(org, 'raised')];
  for (const id of repeats) expect(await outcome(id)).toBe('noted');
  expect(await outcome(await send(org, 'recovered'))).toBe('closed');
  expect(await outcome(await send(org, 'raised'))).toBe('ticket_reopened');
  expect(await outcome(await send(org, 'recovered'))).toBe('closed');
  await record(org, 'service-ticket-lifecycle');
});

maybe('record a service-ticket run for an organization mapped to no PSA: the alert is skipped', async () => {
  const tenants = await seedTenants(stack.db, { organizationsPerPartner: 1 });
  const org = tenants.direct.organizationIds[0] as string;
  expect(await outcome(await send(org, 'raised'))).toBe('skipped');
  await record(org, 'service-ticket-unmapped');
});
