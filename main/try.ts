/**
 * `npm run try -- <step>`: a newcomer's walk through the system against `npm start` (with the
 * simulators), over the HTTP API only, as the try-it tenant's Owner (main/try-tenant.ts).
 * Steps, in order: connect <psa> · import <psa> [--create-unmatched] · alert raise · alert recover · status.
 * `--create-unmatched` also creates the organizations no PSA company matches (main/try-import.ts).
 * Each prints what it did and the next step; one run out of order says which to run first.
 */
import { loadConfig } from '../config/env';
import { capabilitiesOf } from '../psa/capabilities';
import { PSA_KINDS, PSA_LABELS, type PsaKind } from '../psa/core/types';
import { SEED_CREDENTIALS as CW, SEED_FIXTURES as CWF } from '../sims/connectwise/seed';
import { SEED_CREDENTIALS as AT, SEED_FIXTURES as ATF } from '../sims/autotask/seed';
import { SEED_CREDENTIALS as HALO, SEED_FIXTURES as HF } from '../sims/halopsa/seed';
import { TRY_TENANT } from './try-tenant';
import { parseTryImportFlags, tryImportPlan, type TryImportOptions } from './try-import';

class StepError extends Error {}

const config = loadConfig();
const API = `http://${config.API_HOST}:${config.API_PORT}`;
const TOKEN = config.API_TOKENS[0] as string;
const PARTNER = `/v1/partners/${TRY_TENANT.partnerId}`;
const PROBLEM = 'backup_failed';
const say = (line: string) => console.log(line);
const next = (command: string) => say(`\nNext: npm run try -- ${command}`);

/**
 * What the partner types into the connect form for each simulator (the seeds' forms: the ConnectWise
 * clientId and the Autotask integration code come from the deployment, see CONNECTWISE_CLIENT_ID),
 * and the simulator's fixture values.
 */
const VENDORS: Record<PsaKind, { credentials: Record<string, string>; ticketMapping: Record<string, string>; planMapping: Record<string, string> }> = {
  connectwise: {
    credentials: { siteUrl: `127.0.0.1:${config.SIM_CONNECTWISE_PORT}`, companyId: CW.companyId, publicKey: CW.publicKey, privateKey: CW.privateKey },
    ticketMapping: { ...CWF.ticketMapping },
    planMapping: { ...CWF.planMapping },
  },
  autotask: { credentials: { apiUser: AT.apiUser, secret: AT.secret }, ticketMapping: { ...ATF.ticketMapping }, planMapping: { ...ATF.planMapping } },
  halopsa: {
    credentials: { siteUrl: `http://127.0.0.1:${config.SIM_HALOPSA_PORT}`, clientId: HALO.clientId, clientSecret: HALO.clientSecret },
    ticketMapping: { ...HF.ticketMapping },
    planMapping: {},
  },
};

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  let res: Response;
  try {
    res = await fetch(`${API}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'x-user-id': TRY_TENANT.ownerId, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new StepError(`the API is not answering on ${API} — start it with \`npm start\` (and wait for its "Try it" lines)`);
  }
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}

async function expectOk(what: string, res: Promise<{ status: number; body: any }>): Promise<any> {
  const r = await res;
  if (r.status >= 400) {
    if (r.status === 401 && /X-User-Id/.test(JSON.stringify(r.body))) throw new StepError(`${what}: the try-it tenant is not loaded — it loads when \`npm start\` runs with the simulators`);
    throw new StepError(`${what} failed: HTTP ${r.status} ${r.body?.error ? `${r.body.error.code}: ${r.body.error.message}` : JSON.stringify(r.body)}`);
  }
  return r.body;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function psaArg(raw: string | undefined, step: string): PsaKind {
  const psa = PSA_KINDS.find((k) => k === raw);
  if (!psa) throw new StepError(`usage: npm run try -- ${step} <${PSA_KINDS.join('|')}>`);
  return psa;
}

interface Card {
  psa: PsaKind;
  status: string;
  health: string;
  ticketMappingDone?: boolean;
}

async function cards(): Promise<Card[]> {
  return ((await expectOk('reading the integrations', call('GET', `${PARTNER}/integrations`))) as { integrations: Card[] }).integrations;
}

const isConnected = (c: Card | undefined) => Boolean(c && c.status !== 'not_connected' && c.status !== 'revoked' && c.status !== 'connecting');

async function connectedPsa(): Promise<Card | undefined> {
  return (await cards()).find(isConnected);
}

interface MappedOrg {
  organizationId: string;
  name: string;
}

async function mappedOrganizations(psa: PsaKind): Promise<MappedOrg[]> {
  const body = await expectOk('reading the organization mappings', call('GET', `${PARTNER}/integrations/${psa}/organization-mappings`));
  const list: any[] = Array.isArray(body) ? body : (body.organizations ?? body.items ?? []);
  return list
    .filter((o) => o.mapping && (o.mapping.psa === undefined || o.mapping.psa === psa))
    .map((o) => ({ organizationId: o.id ?? o.organizationId, name: o.name ?? o.organizationName }));
}

async function connect(psa: PsaKind): Promise<void> {
  const v = VENDORS[psa];
  const base = `${PARTNER}/integrations/${psa}`;
  const existing = (await cards()).find((c) => c.psa === psa);
  if (isConnected(existing)) {
    say(`${PSA_LABELS[psa]} is already connected (${existing?.status}, ${existing?.health}).`);
  } else {
    say(`Connecting ${PSA_LABELS[psa]} with the simulator's credentials: ${Object.keys(v.credentials).join(', ')}`);
    const res = await expectOk('connect', call('POST', `${base}/connect`, { credentials: v.credentials }));
    say(`  connected: ${res.integration?.status}, ${res.integration?.health}${res.accountName ? ` (${res.accountName})` : ''}`);
  }
  const mapped = await expectOk('ticket mapping', call('PUT', `${base}/ticket-mapping`, { values: v.ticketMapping }));
  say(`  ticket mapping ${JSON.stringify(v.ticketMapping)}: done ${mapped.integration?.ticketMappingDone ?? true}`);
  if (capabilitiesOf(psa).planMapping) {
    for (const plan of TRY_TENANT.plans) {
      await expectOk(`plan mapping (${plan.name})`, call('PUT', `${base}/plan-mappings/${plan.id}`, { values: v.planMapping }));
      say(`  plan "${plan.name}" mapped`);
    }
  }
  next(`import ${psa}`);
}

async function importOrgs(psa: PsaKind, options: TryImportOptions): Promise<void> {
  const card = (await cards()).find((c) => c.psa === psa);
  if (!isConnected(card)) throw new StepError(`${PSA_LABELS[psa]} is not connected: run \`npm run try -- connect ${psa}\` first`);
  const base = `${PARTNER}/integrations/${psa}/organization-import`;
  const preview = await expectOk('import preview', call('GET', `${base}/preview`));
  say(`Preview: ${preview.organizations.length} unmapped organization(s) against ${preview.companiesScanned} ${PSA_LABELS[psa]} companies`);
  for (const row of preview.organizations as any[]) {
    const best = row.match ?? row.alternatives?.[0];
    const billing = row.outcome === 'matched' && !row.values && row.billing ? `  — ${row.billing.fits} billing objects fit: map it in the portal` : '';
    say(`  ${row.organizationName.padEnd(26)} ${String(row.outcome).padEnd(9)} ${best ? `→ ${best.companyName} (score ${Number(best.score).toFixed(2)})` : ''}${billing}`);
  }
  const plan = tryImportPlan(preview, options);
  for (const l of plan.left) say(`  left for the portal: ${l.name} — ${l.why}`);
  if (!plan.body) {
    say(preview.alreadyMapped ? `Nothing left to import (${preview.alreadyMapped} already mapped).` : 'No row can be mapped as proposed (no confident match with exactly one billing object).');
    if (!options.createUnmatched && plan.left.length > 0) say(`To create the unmatched ones as new ${PSA_LABELS[psa]} companies: npm run try -- import ${psa} --create-unmatched`);
    next('alert raise');
    return;
  }
  const started = await expectOk('import confirm', call('POST', base, plan.body));
  say(`Importing ${plan.mapped} matched row(s)${plan.created ? ` and creating ${plan.created} new ${PSA_LABELS[psa]} compan${plan.created === 1 ? 'y' : 'ies'} (with the plan's billing object)` : ''}, batch ${started.batchId}`);
  let last: any = null;
  for (const deadline = Date.now() + 120_000; ; ) {
    last = await expectOk('import progress', call('GET', `${base}/${started.batchId}`));
    say(`  progress: ${last.done}/${last.total} done, ${last.mapped} mapped, ${last.created} created, ${last.refused} refused`);
    if (last.finished) break;
    if (Date.now() > deadline) throw new StepError('the import did not finish in 2 minutes; is the worker running?');
    await sleep(1000);
  }
  for (const r of (last?.rows ?? []) as any[]) if (r.outcome === 'refused') say(`  refused: ${r.code}: ${r.message}`);
  next('alert raise');
}

async function alert(event: 'raised' | 'recovered'): Promise<void> {
  const card = await connectedPsa();
  if (!card) throw new StepError('no PSA is connected: run `npm run try -- connect halopsa` first');
  const orgs = await mappedOrganizations(card.psa);
  const org = TRY_TENANT.organizations.find((o) => orgs.some((m) => m.organizationId === o.id));
  if (!org) throw new StepError(`no organization is mapped yet: run \`npm run try -- import ${card.psa}\` first`);
  const eventId = `try-${event}-${Date.now()}`;
  await expectOk(`alert ${event}`, call('POST', '/v1/alerts', { eventId, organizationId: org.id, problem: PROBLEM, event, occurredAt: new Date().toISOString() }));
  say(`Alert ${event} (${PROBLEM}) for "${org.name}", event ${eventId}`);
  for (const deadline = Date.now() + 90_000; ; ) {
    const trace = await call('GET', `${PARTNER}/alerts/${encodeURIComponent(eventId)}/trace`);
    const ticket = trace.status === 200 ? trace.body.ticket : null;
    const done = event === 'raised' ? ticket?.psaTicketId : ticket?.state === 'closed' || trace.body?.alert?.outcome;
    if (done) {
      if (ticket?.psaTicketId) say(`  ${PSA_LABELS[card.psa]} ticket ${ticket.psaTicketNumber ?? ticket.psaTicketId} (id ${ticket.psaTicketId}): ${ticket.state}`);
      else say(`  outcome: ${trace.body.alert.outcome}${trace.body.alert.reason ? ` (${trace.body.alert.reason})` : ''}`);
      break;
    }
    if (Date.now() > deadline) throw new StepError('no ticket after 90 s; is the worker running? (`npm run try -- status`)');
    await sleep(1000);
  }
  next(event === 'raised' ? 'alert recover' : 'status');
}

async function status(): Promise<void> {
  const list = await cards();
  say(`Partner "${TRY_TENANT.partnerName}" (${TRY_TENANT.partnerId})`);
  for (const c of list) say(`  ${PSA_LABELS[c.psa].padEnd(12)} ${c.status}${c.health ? `, ${c.health}` : ''}`);
  for (const c of list.filter(isConnected)) {
    const orgs = await mappedOrganizations(c.psa);
    say(`  ${PSA_LABELS[c.psa]} organizations mapped: ${orgs.length ? orgs.map((o) => o.name).join(', ') : 'none'}`);
  }
  if (!list.some(isConnected)) next('connect halopsa');
}

async function main(argv: string[]): Promise<void> {
  const [step, arg] = argv;
  switch (step) {
    case 'connect':
      return connect(psaArg(arg, 'connect'));
    case 'import': {
      const options = parseTryImportFlags(argv.slice(2));
      if ('error' in options) throw new StepError(`${options.error}; usage: npm run try -- import <${PSA_KINDS.join('|')}> [--create-unmatched]`);
      return importOrgs(psaArg(arg, 'import'), options);
    }
    case 'alert':
      if (arg === 'raise') return alert('raised');
      if (arg === 'recover') return alert('recovered');
      throw new StepError('usage: npm run try -- alert <raise|recover>');
    case 'status':
      return status();
    default:
      throw new StepError('usage: npm run try -- <connect <psa> | import <psa> [--create-unmatched] | alert raise | alert recover | status>');
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof StepError ? `try: ${err.message}` : err);
    process.exit(1);
  },
);
