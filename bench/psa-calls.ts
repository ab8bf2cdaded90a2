/**
 * `npm run bench:psa-calls`: for each vendor, how many HTTP requests each integration operation
 * costs against its simulator, and the sustained request rate the rate governor lets through
 * compared with the budget it was given.
 */
import { randomUUID } from 'node:crypto';
import type { ContractHarness } from '../test/unit/psa/harness/types';
import { createConnectWiseHarness } from '../test/unit/psa/harness/connectwise';
import { createAutotaskHarness } from '../test/unit/psa/harness/autotask';
import { createHaloPsaHarness } from '../test/unit/psa/harness/halopsa';
import { adapterFactories } from '../psa/registry';

const BUDGET = { maxRequests: 40, windowMs: 1000 };
const SUSTAINED_CALLS = Number(process.env.BENCH_CALLS ?? 120);

async function counted<T>(h: ContractHarness, fn: () => Promise<T>): Promise<number> {
  const before = h.sim.log.length;
  await fn();
  return h.sim.log.length - before;
}

async function bench(h: ContractHarness) {
  await h.start();
  try {
    const adapter = await h.adapter({ key: `bench-${randomUUID()}` });
    await adapter.testConnection(); // token / zone lookups are per connection, not per operation
    const tm = h.fixtures.ticketMapping;
    const picklists = await counted(h, async () => {
      for (const f of adapter.fields.ticket) {
        if (f.type !== 'picklist') continue;
        await adapter.options('ticket', f.name, { parents: Object.fromEntries(f.dependsOn.map((d) => [d, tm[d] as string])) });
      }
    });
    const marker = `bench:${randomUUID()}`;
    let ticketId = '';
    let watermark: string | null = null;
    const open = await counted(h, async () => {
      const found = await adapter.findTicketByMarker(marker);
      const ticket = found ?? (await adapter.createTicket({ marker, title: 'Backup failed', description: 'bench', organization: h.fixtures.organization, ticketMapping: tm }));
      ticketId = ticket.id;
      watermark = ticket.watermark;
    });
    await adapter.checkTicket(ticketId, watermark); // Autotask looks up its own resource id once per connection
    const note = await counted(h, async () => {
      await adapter.checkTicket(ticketId, watermark);
      watermark = (await adapter.addTicketNote(ticketId, 'Reported again')).watermark;
    });
    // As the engine closes with the ticket events subscribed: without a read where the close
    // takes two writes anyway (ConnectWise), else one record check for work by others, then the close.
    const close = await counted(h, async () => {
      if (adapter.closeTicketUnread) {
        await adapter.closeTicketUnread(ticketId, tm.closedStatus as string, tm.status as string, 'Recovered');
        return;
      }
      const check = await adapter.checkTicket(ticketId, watermark);
      if (!check.touchedByOthers && !check.closed) await adapter.closeTicket(ticketId, tm.closedStatus as string, 'Recovered');
    });
    const quantity = await counted(h, async () => {
      const q = await adapter.getQuantity(h.fixtures.organization);
      await adapter.setQuantity(h.fixtures.organization, q + 1);
    });

    const governed = await h.adapter({ key: `bench-gov-${randomUUID()}`, limits: BUDGET });
    await governed.getQuantity(h.fixtures.organization);
    const before = h.sim.log.length;
    const started = Date.now();
    await Promise.all(Array.from({ length: SUSTAINED_CALLS }, () => governed.getQuantity(h.fixtures.organization)));
    const seconds = (Date.now() - started) / 1000;
    const rate = (h.sim.log.length - before) / seconds;
    const d = adapterFactories[h.psa].defaultLimits;
    return {
      psa: h.psa,
      picklists,
      open,
      note,
      close,
      quantity,
      rate: rate.toFixed(1),
      ratio: (rate / BUDGET.maxRequests).toFixed(2),
      defaults: `${d.maxRequests}/${d.windowMs / 1000}s, ${d.maxConcurrentPerEndpoint} per endpoint`,
    };
  } finally {
    await h.stop();
  }
}

async function main(): Promise<void> {
  console.log(`psa-calls: requests per operation, and ${SUSTAINED_CALLS} quantity reads through a governor budget of ${BUDGET.maxRequests}/s\n`);
  const rows = [];
  for (const create of [createConnectWiseHarness, createAutotaskHarness, createHaloPsaHarness]) rows.push(await bench(create()));
  console.table(
    rows.map((r) => ({
      vendor: r.psa,
      'ticket picklists': r.picklists,
      'open ticket': r.open,
      'check + note': r.note,
      'close (as the engine)': r.close,
      'read+set quantity': r.quantity,
      'sustained req/s': r.rate,
      'req/s ÷ budget': r.ratio,
      'default budget': r.defaults,
    })),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
