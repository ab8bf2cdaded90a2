/**
 * Ticket callbacks end to end: the adapter registers an Owner-level callback, a technician's
 * change makes the simulator POST a signed delivery to a local receiver, and
 * verifyConnectWiseCallback accepts it only with the right signature, company and key host.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyConnectWiseCallback } from '../../../../psa/connectwise';
import { connectWiseSignature } from '../../../../psa/connectwise/webhook';
import { PsaAuthError, PsaValidationError } from '../../../../psa/core/errors';
import type { PsaAdapter } from '../../../../psa/core/types';
import { TECHNICIAN_API_KEYS, TECHNICIAN_IDENTIFIER } from '../../../../sims/connectwise';
import { createConnectWiseHarness } from '../harness/connectwise';

interface Delivery {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const h = createConnectWiseHarness();
const received: Delivery[] = [];
let answers: number[] = [];
let receiver: http.Server;
let receiverUrl = '';
let adapter: PsaAdapter;

beforeAll(async () => {
  await h.start();
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body });
      res.statusCode = answers.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/cw`;
});
afterAll(async () => {
  await h.stop();
  await new Promise((r) => receiver.close(r));
});
beforeEach(async () => {
  h.sim.reset();
  received.length = 0;
  answers = [];
  adapter = await h.adapter({ key: 'webhook' });
});

const options = () => ({ siteUrl: h.cw.url, companyId: 'contoso', ca: h.cw.ca });
const newTicket = (marker: string) =>
  adapter.createTicket({ marker, title: marker, description: 'd', organization: h.fixtures.organization, ticketMapping: h.fixtures.ticketMapping });

async function closedDelivery(marker: string): Promise<Delivery> {
  await adapter.subscribeTicketEvents(receiverUrl, 'unused');
  const t = await newTicket(marker);
  await h.closeInPsa(t.id);
  const d = received.at(-1);
  if (!d) throw new Error('no delivery');
  return d;
}

describe('subscription and delivery', () => {
  it('registers an Owner-level, self-suppressed Ticket callback', async () => {
    const id = await adapter.subscribeTicketEvents(receiverUrl, 'unused');
    expect(h.cw.state.data.callbacks).toEqual([
      expect.objectContaining({ id: Number(id), url: receiverUrl, type: 'Ticket', level: 'Owner', objectId: 1, isSelfSuppressedFlag: true }),
    ]);
  });

  it('our own changes do not call back; a technician close does, signed and with id/action in the URL', async () => {
    await adapter.subscribeTicketEvents(receiverUrl, 'unused');
    const t = await newTicket('wh-1');
    await adapter.addTicketNote(t.id, 'automated');
    await h.cw.state.dispatcher.flush();
    expect(received).toHaveLength(0);
    await h.closeInPsa(t.id);
    expect(received).toHaveLength(1);
    const d = received[0] as Delivery;
    expect(d.url).toBe(`/hooks/cw?id=${t.id}&action=updated`);
    expect(typeof d.headers['x-content-signature']).toBe('string');
    const event = await verifyConnectWiseCallback(d.body, d.headers, options());
    expect(event).toEqual({ ticketId: t.id, action: 'updated', closed: true, statusId: '15' });
  });

  it("a technician's change through the API with her own keys calls back as hers", async () => {
    await adapter.subscribeTicketEvents(receiverUrl, 'unused');
    const t = await newTicket('wh-tech-api');
    const tech = await h.adapterWith({ publicKey: TECHNICIAN_API_KEYS.publicKey, privateKey: TECHNICIAN_API_KEYS.privateKey }, { key: 'technician' });
    await tech.addTicketNote(t.id, 'On it.');
    await h.cw.state.dispatcher.flush();
    expect(received).toHaveLength(1);
    expect(JSON.parse((received[0] as Delivery).body)).toMatchObject({ MemberId: TECHNICIAN_IDENTIFIER, ID: Number(t.id), Action: 'updated' });
    // Her keys with another member's private key are refused like any wrong secret.
    const forged = await h.adapterWith({ publicKey: TECHNICIAN_API_KEYS.publicKey }, { key: 'forged' });
    await expect(forged.addTicketNote(t.id, 'x')).rejects.toThrow();
  });

  it('a URL ending in recordId= gets the id appended', async () => {
    await adapter.subscribeTicketEvents(`${receiverUrl}?tenant=7&recordId=`, 'unused');
    const t = await newTicket('wh-recordid');
    h.technicianTouches(t.id);
    await h.cw.state.dispatcher.flush();
    expect(received[0]?.url).toBe(`/hooks/cw?tenant=7&recordId=${t.id}`);
  });

  it('retries a delivery answered 429, then stops after success', async () => {
    answers = [429, 200];
    await closedDelivery('wh-retry');
    expect(received).toHaveLength(2);
    expect(h.cw.state.dispatcher.deliveries.map((x) => x.status)).toEqual([429, 200]);
    expect(received[0]?.body).toBe(received[1]?.body);
  });

  it('unsubscribing stops deliveries, and unsubscribing twice is fine', async () => {
    const id = await adapter.subscribeTicketEvents(receiverUrl, 'unused');
    await adapter.unsubscribeTicketEvents(id);
    await adapter.unsubscribeTicketEvents(id);
    const t = await newTicket('wh-unsub');
    await h.closeInPsa(t.id);
    expect(received).toHaveLength(0);
    expect(h.cw.state.data.callbacks).toHaveLength(0);
  });
});

describe('verifyConnectWiseCallback', () => {
  it('verifies after a signing-key rotation (the key_url names the new key)', async () => {
    h.cw.state.rotateSigningKey();
    const d = await closedDelivery('wh-rotate');
    expect(JSON.parse(d.body).Metadata.key_url).toMatch(/id=key-2$/);
    await expect(verifyConnectWiseCallback(d.body, d.headers, options())).resolves.toMatchObject({ closed: true });
  });

  it('rejects a tampered body', async () => {
    const d = await closedDelivery('wh-tamper');
    const tampered = d.body.replace('"Action":"updated"', '"Action":"deleted"');
    await expect(verifyConnectWiseCallback(tampered, d.headers, options())).rejects.toThrow(/signature does not match/);
  });

  it('rejects a wrong or missing signature with PsaAuthError', async () => {
    const d = await closedDelivery('wh-sig');
    const forged = connectWiseSignature(d.body, 'guessed-key').toString('base64');
    await expect(verifyConnectWiseCallback(d.body, { ...d.headers, 'x-content-signature': forged }, options())).rejects.toBeInstanceOf(PsaAuthError);
    await expect(verifyConnectWiseCallback(d.body, { 'content-type': 'application/json' }, options())).rejects.toBeInstanceOf(PsaAuthError);
  });

  it('never fetches a key_url outside the connection\'s site host', async () => {
    const d = await closedDelivery('wh-host');
    const body = JSON.parse(d.body) as { Metadata: { key_url: string } };
    const fetchSigningKey = jest.fn(async () => 'attacker-key');
    for (const keyUrl of ['https://169.254.169.254/latest/meta-data', 'https://evil.example/key', body.Metadata.key_url.replace('https:', 'http:')]) {
      const forgedBody = JSON.stringify({ ...body, Metadata: { key_url: keyUrl } });
      const sig = connectWiseSignature(forgedBody, 'attacker-key').toString('base64');
      await expect(verifyConnectWiseCallback(forgedBody, { 'x-content-signature': sig }, { ...options(), fetchSigningKey })).rejects.toThrow(/key_url is not on the connection's site/);
    }
    expect(fetchSigningKey).not.toHaveBeenCalled();
  });

  it('rejects a callback for another company', async () => {
    const d = await closedDelivery('wh-company');
    await expect(verifyConnectWiseCallback(d.body, d.headers, { ...options(), companyId: 'fabrikam' })).rejects.toThrow(/different company/);
  });

  it('rejects a body that is not a ConnectWise callback', async () => {
    await expect(verifyConnectWiseCallback('not json', { 'x-content-signature': 'AAAA' }, options())).rejects.toBeInstanceOf(PsaValidationError);
    await expect(verifyConnectWiseCallback('{"hello":1}', { 'x-content-signature': 'AAAA' }, options())).rejects.toBeInstanceOf(PsaValidationError);
  });

  it('uses an injected key fetcher and accepts a Buffer body', async () => {
    const d = await closedDelivery('wh-inject');
    const real = h.cw.state.data.signingKeys.get(h.cw.state.data.currentKeyId) as string;
    const fetchSigningKey = jest.fn(async (u: URL) => {
      expect(u.host).toBe(h.cw.host);
      return real;
    });
    await expect(verifyConnectWiseCallback(Buffer.from(d.body), d.headers, { ...options(), fetchSigningKey })).resolves.toMatchObject({ action: 'updated' });
    expect(fetchSigningKey).toHaveBeenCalledTimes(1);
  });
});
