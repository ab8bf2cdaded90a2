/**
 * No HaloPSA client is published on the npm registry, so the simulator is driven with raw fetch
 * calls shaped like the real-world clients the research cites: CIPP (Get-HaloToken,
 * New-HaloPSATicket), n8n (lower-case routes, pageinate lists), HaloAPI (authinfo) and a
 * community resolve script (Actions with outcome + new_status).
 */
import { SEED_CREDENTIALS, startHaloPsaSim, type HaloPsaSim } from '../../../../sims/halopsa';

describe('HaloPSA simulator accepts real-world request shapes', () => {
  let sim: HaloPsaSim;
  let resourceUrl: string;
  let token: string;
  const json = (body: unknown) => ({ 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${token}`, body: JSON.stringify(body) });
  const post = (path: string, body: unknown) => {
    const { body: payload, ...headers } = json(body);
    return fetch(`${resourceUrl}${path}`, { method: 'POST', headers, body: payload });
  };
  const getJson = async (path: string) => {
    const res = await fetch(`${resourceUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return res.json() as Promise<any>;
  };

  beforeAll(async () => {
    sim = await startHaloPsaSim({ tenant: 'msp' });
    resourceUrl = `${sim.url}/api`;
  });
  afterAll(() => sim.close());

  it('HaloAPI discovery: GET /api/authinfo names the auth server', async () => {
    const res = await fetch(`${resourceUrl}/authinfo`);
    expect(await res.json()).toEqual({ auth_url: `${sim.url}/auth`, tenant_id: 'msp' });
  });

  it('CIPP Get-HaloToken: form-encoded client credentials to {auth}/token?tenant=', async () => {
    const res = await fetch(`${sim.url}/auth/token?tenant=msp`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${SEED_CREDENTIALS.clientId}&scope=all&client_secret=${SEED_CREDENTIALS.clientSecret}`,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBe(3600);
    token = body.access_token;
  });

  it('a wrong secret gets the OAuth invalid_client answer', async () => {
    const res = await fetch(`${sim.url}/auth/token?tenant=msp`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: SEED_CREDENTIALS.clientId, client_secret: 'nope', scope: 'all' }).toString(),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_client' });
  });

  it('no token → 401 with a Bearer challenge', async () => {
    const res = await fetch(`${resourceUrl}/Tickets`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  let ticketId = 0;
  it('CIPP New-HaloPSATicket: POST /Tickets [ {...} ] returns the saved ticket itself', async () => {
    const res = await post('/Tickets', [
      {
        files: null,
        usertype: 1,
        userlookup: { id: -1, lookupdisplay: 'Enter Details Manually' },
        client_id: 104,
        _forcereassign: true,
        site_id: null,
        user_name: null,
        reportedby: null,
        summary: 'CIPP Alert: Mailbox quota',
        details_html: '<p>Quota exceeded</p>',
        donotapplytemplateintheapi: true,
        attachments: [],
        tickettype_id: 21,
        _novalidate: true,
      },
    ]);
    expect(res.status).toBe(201);
    const ticket = (await res.json()) as { id: number; client_id: number; site_id: number; user_name: string; hasbeenclosed: boolean };
    expect(ticket).toMatchObject({ client_id: 104, user_name: 'General User', hasbeenclosed: false });
    expect(typeof ticket.id).toBe('number');
    ticketId = ticket.id;
  });

  it('n8n: lower-case routes, pageinate lists with record_count, plain-array statuses', async () => {
    const page = await getJson('/client?pageinate=true&page_size=25&page_no=3');
    expect(page).toMatchObject({ page_no: 3, page_size: 25, record_count: 65 });
    expect(page.clients).toHaveLength(15);
    const statuses = await getJson('/status');
    expect(Array.isArray(statuses)).toBe(true);
    const single = await getJson(`/tickets/${ticketId}`);
    expect(single.id).toBe(ticketId);
    const list = await getJson(`/Tickets?client_id=104&open_only=true&pageinate=true&page_size=100&page_no=1`);
    expect(list.tickets.map((t: { id: number }) => t.id)).toContain(ticketId);
  });

  it('an Action without an outcome is refused in Halo’s words', async () => {
    const res = await post('/Actions', [{ ticket_id: ticketId, note_html: '<p>hello</p>', hiddenfromuser: true }]);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('An Outcome must be entered for this Action');
  });

  it('CIPP internal note: outcome_id 7 with hiddenfromuser', async () => {
    const res = await post('/Actions', [{ ticket_id: ticketId, outcome_id: 7, note_html: '<p>Investigating</p>', hiddenfromuser: true }]);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ ticket_id: ticketId, outcome: 'Internal Note', hiddenfromuser: true });
  });

  it('community resolve script: an Action with outcome and new_status closes the ticket', async () => {
    const res = await post('/actions', [
      {
        ticket_id: String(ticketId),
        outcome_id: '4',
        new_status: 9,
        note_html: '<p>Resolved by automation</p>',
        dont_do_rules: true,
        timerinuse: false,
        hiddenfromuser: false,
        sendemail: false,
      },
    ]);
    expect(res.status).toBe(201);
    const ticket = await getJson(`/Tickets/${ticketId}`);
    expect(ticket).toMatchObject({ status_id: 9, hasbeenclosed: true });
    expect(ticket.dateclosed).toEqual(expect.any(String));
  });

  it('update by id through the same POST array (n8n update)', async () => {
    const res = await post('/Tickets', [{ id: ticketId, status_id: 2 }]);
    expect(await res.json()).toMatchObject({ id: ticketId, status_id: 2, hasbeenclosed: false, dateclosed: null });
  });

  it('seat sync: POST /SoftwareLicence [{id, count}] and a .NET exception for a bad count', async () => {
    const ok = await post('/SoftwareLicence', [{ id: 503, count: 12 }]);
    expect(await ok.json()).toMatchObject({ id: 503, count: 12 });
    const bad = await post('/SoftwareLicence', [{ id: 503, count: -4 }]);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ ClassName: 'System.ArgumentException' });
    const licences = await getJson('/SoftwareLicence?client_id=103');
    expect(licences).toMatchObject({ record_count: 1, licences: [{ id: 503, count: 12 }] });
  });

  it('priorities are plain-array policy rows with string ids, filtered by slaid', async () => {
    const rows = await getJson('/Priority?slaid=2');
    expect(rows.map((r: { id: unknown; priorityid: number }) => [typeof r.id, r.priorityid])).toEqual([
      ['string', 1],
      ['string', 2],
      ['string', 3],
    ]);
  });
});
