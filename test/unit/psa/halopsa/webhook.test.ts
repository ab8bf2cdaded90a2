import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PsaAuthError, PsaValidationError } from '../../../../psa/core/errors';
import type { PsaAdapter } from '../../../../psa/core/types';
import { basicAuthorization, HALO_WEBHOOK_USERNAME, verifyHaloPsaWebhook } from '../../../../psa/halopsa';
import { SEED_FIXTURES, TECHNICIAN_AGENT_ID, TECHNICIAN_APP_CREDENTIALS } from '../../../../sims/halopsa';
import { useHalo } from './helpers';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A stand-in for our API's webhook receiver. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/halopsa?connection=c1`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const SECRET = 'whsec-halo-0123456789';

describe('HaloPSA webhooks', () => {
  const h = useHalo();
  let adapter: PsaAdapter;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    adapter = await h.adapter({ key: 'webhooks' });
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());

  it('subscribes with Basic auth, receives a close made in Halo, and verifies it', async () => {
    const id = await adapter.subscribeTicketEvents(receiver.url, SECRET);
    const hook = h.halo.state.data.webhooks.find((w) => w.id === id);
    expect(hook).toMatchObject({ url: receiver.url, authentication_type: 'basic', basic_username: HALO_WEBHOOK_USERNAME, basic_password: SECRET });
    expect(hook?.events).toEqual(expect.arrayContaining(['Ticket Closed', 'Ticket Status Changed']));

    const t = await adapter.createTicket({
      marker: 'wh-1',
      title: 'Backup failed',
      description: 'd',
      organization: SEED_FIXTURES.organization,
      ticketMapping: SEED_FIXTURES.ticketMapping,
    });
    await h.halo.state.webhooks.flush();
    receiver.received.length = 0;
    await h.closeInPsa(t.id);

    expect(receiver.received).toHaveLength(1);
    const delivery = receiver.received[0] as Received;
    expect(delivery.headers.authorization).toBe(basicAuthorization(HALO_WEBHOOK_USERNAME, SECRET));
    expect(JSON.parse(delivery.body)).toMatchObject({ event: 'Ticket Closed', webhook_id: id, object_id: Number(t.id) });
    const event = verifyHaloPsaWebhook(delivery.body, delivery.headers, SECRET);
    // The technician's close arrives with their action: that is how our own events are told apart.
    expect(event).toEqual({ ticketId: t.id, closed: true, action: 'ticket_closed', webhookId: id, actorAgentId: String(TECHNICIAN_AGENT_ID) });

    await adapter.unsubscribeTicketEvents(id);
    expect(h.halo.state.data.webhooks.some((w) => w.id === id)).toBe(false);
    await expect(adapter.unsubscribeTicketEvents(id)).resolves.toBeUndefined(); // already gone
  });

  it("another tool's application logs in as the technician: her close through the API is delivered as hers", async () => {
    const id = await adapter.subscribeTicketEvents(receiver.url, SECRET);
    const t = await adapter.createTicket({ marker: 'wh-tech-api', title: 'Backup failed', description: 'd', organization: SEED_FIXTURES.organization, ticketMapping: SEED_FIXTURES.ticketMapping });
    await h.halo.state.webhooks.flush();
    receiver.received.length = 0;
    const token = (secret: string) =>
      fetch(`${h.halo.url}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: TECHNICIAN_APP_CREDENTIALS.clientId, client_secret: secret, scope: 'all' }).toString(),
      });
    expect((await token(`${TECHNICIAN_APP_CREDENTIALS.clientSecret}x`)).status).toBe(400);
    const { access_token } = (await (await token(TECHNICIAN_APP_CREDENTIALS.clientSecret)).json()) as { access_token: string };
    const res = await fetch(`${h.halo.url}/api/Actions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${access_token}` },
      body: JSON.stringify([{ ticket_id: Number(t.id), outcome: 'Resolved', note: 'Done.', new_status: Number(SEED_FIXTURES.ticketMapping.closedStatus) }]),
    });
    expect(res.status).toBe(201);
    await h.halo.state.webhooks.flush();
    expect(receiver.received).toHaveLength(1);
    const event = verifyHaloPsaWebhook((receiver.received[0] as Received).body, (receiver.received[0] as Received).headers, SECRET);
    expect(event).toMatchObject({ ticketId: t.id, closed: true, actorAgentId: String(TECHNICIAN_AGENT_ID) });
    await adapter.unsubscribeTicketEvents(id);
  });

  it('rejects a wrong password, a wrong user, a missing header and other schemes', () => {
    const body = JSON.stringify({ event: 'Ticket Closed', object_id: 5, webhook_id: 'w' });
    const attempts = [
      { authorization: basicAuthorization(HALO_WEBHOOK_USERNAME, `${SECRET}x`) },
      { authorization: basicAuthorization('someone', SECRET) },
      {},
      { authorization: `Bearer ${SECRET}` },
      { authorization: basicAuthorization(HALO_WEBHOOK_USERNAME, SECRET).slice(0, -2) },
    ];
    for (const headers of attempts) {
      expect(() => verifyHaloPsaWebhook(body, headers, SECRET)).toThrow(PsaAuthError);
    }
    expect(() => verifyHaloPsaWebhook(body, { authorization: basicAuthorization(HALO_WEBHOOK_USERNAME, '') }, '')).toThrow(PsaAuthError);
  });

  it('accepts header names in any case and payloads without the full ticket', () => {
    const auth = basicAuthorization(HALO_WEBHOOK_USERNAME, SECRET);
    const small = verifyHaloPsaWebhook(Buffer.from(JSON.stringify({ event: 'New Ticket Logged', object_id: '42' })), { Authorization: auth }, SECRET);
    expect(small).toEqual({ ticketId: '42', action: 'new_ticket_logged', webhookId: null });
    const nested = verifyHaloPsaWebhook(JSON.stringify({ event: 'new ticket logged', ticket: { id: 123, hasbeenclosed: false } }), { authorization: auth }, SECRET);
    expect(nested).toMatchObject({ ticketId: '123', closed: false });
  });

  it('an authenticated body without a ticket or not JSON is PsaValidationError', () => {
    const auth = { authorization: basicAuthorization(HALO_WEBHOOK_USERNAME, SECRET) };
    expect(() => verifyHaloPsaWebhook('{not json', auth, SECRET)).toThrow(PsaValidationError);
    expect(() => verifyHaloPsaWebhook(JSON.stringify({ event: 'x' }), auth, SECRET)).toThrow(PsaValidationError);
    expect(() => verifyHaloPsaWebhook('[]', auth, SECRET)).toThrow(PsaValidationError);
  });

  it('Halo refuses a webhook with a bad URL with its own message', async () => {
    await expect(adapter.subscribeTicketEvents('ftp:nothing', SECRET)).rejects.toMatchObject({ details: ['A valid URL must be entered'] });
  });
});
