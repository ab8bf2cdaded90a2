/**
 * ContractHarness for HaloPSA: the simulator on an ephemeral loopback port and adapters built by
 * the real factory against it (http + private networks allowed, as only a test policy may).
 */
import { halopsaFactory } from '../../../../psa/halopsa';
import type { UrlPolicy } from '../../../../psa/core/url-guard';
import type { Capability } from '../../../../psa/core/types';
import { INVENTORY_FIXTURES, SEED_CREDENTIALS, SEED_FIXTURES, startHaloPsaSim, type HaloPsaSim, type HaloPsaSimOptions, type HaloRight } from '../../../../sims/halopsa';
import type { ContractHarness } from './types';

export const LOOPBACK_POLICY: UrlPolicy = { allowHosts: [], allowPrivateNetworks: true, allowHttp: true };

export const CAPABILITY_RIGHTS: Record<Capability, HaloRight> = {
  tickets: 'tickets',
  companies: 'customers',
  billing: 'softwarelicensing',
  catalog: 'suppliers',
};

let harnessSeq = 0;

export interface HaloPsaHarness extends ContractHarness {
  /** The running simulator with its state (tickets, rights, webhooks). */
  readonly halo: HaloPsaSim;
  /** Gives every role right back (the contract suite revokes one and never restores it). */
  restoreCapabilities(): void;
}

export function createHaloPsaHarness(simOptions: HaloPsaSimOptions = {}): HaloPsaHarness {
  let running: HaloPsaSim | null = null;
  // Keys are unique per harness so governors and token caches never leak between suites.
  const prefix = `halo-harness-${process.pid}-${(harnessSeq += 1)}`;
  const need = (): HaloPsaSim => {
    if (!running) throw new Error('HaloPSA harness not started');
    return running;
  };
  const ticket = (id: string) => {
    const t = need().state.ticket(Number(id));
    if (!t) throw new Error(`sim has no ticket ${id}`);
    return t;
  };

  return {
    psa: 'halopsa',
    get halo() {
      return need();
    },
    get sim() {
      return need().server;
    },
    async start() {
      running = await startHaloPsaSim({ port: 0, ...simOptions });
    },
    async stop() {
      await running?.close();
      running = null;
    },
    async adapter(options = {}) {
      return halopsaFactory.create(
        { siteUrl: need().url, clientId: SEED_CREDENTIALS.clientId, clientSecret: SEED_CREDENTIALS.clientSecret },
        { connectionKey: `${prefix}:${options.key ?? 'default'}`, urlPolicy: LOOPBACK_POLICY, ...(options.limits ? { limits: options.limits } : {}) },
      );
    },
    async badCredentialsAdapter() {
      return halopsaFactory.create(
        { siteUrl: need().url, clientId: SEED_CREDENTIALS.clientId, clientSecret: 'not-the-secret' },
        { connectionKey: `${prefix}:bad`, urlPolicy: LOOPBACK_POLICY },
      );
    },
    fixtures: {
      ticketMapping: { ...SEED_FIXTURES.ticketMapping },
      planMapping: {},
      organization: { ...SEED_FIXTURES.organization },
      initialQuantity: SEED_FIXTURES.initialQuantity,
    },
    lockApiUser() {
      need().state.setApplicationActive(false);
    },
    unlockApiUser() {
      need().state.setApplicationActive(true);
    },
    revokeCapability(capability) {
      need().state.setRight(CAPABILITY_RIGHTS[capability], false);
    },
    restoreCapabilities() {
      for (const right of [...Object.values(CAPABILITY_RIGHTS), 'assets', 'users'] as HaloRight[]) {
        need().state.setRight(right, true);
        need().state.setReadOnly(right, false);
      }
    },
    deactivateParent() {
      const client = need().state.data.clients.find((c) => String(c.id) === SEED_FIXTURES.organization.customer);
      if (!client) throw new Error('the seed customer is missing');
      client.inactive = true;
      return () => void (client.inactive = false);
    },
    deleteBillingObject() {
      need().state.deleteLicence(Number(SEED_FIXTURES.organization.softwareLicence));
    },
    technicianTouches(ticketId) {
      need().state.technicianNote(ticket(ticketId).id, 'Checked the backup agent on site.');
    },
    async closeInPsa(ticketId) {
      need().state.technicianClose(ticket(ticketId).id, Number(SEED_FIXTURES.ticketMapping.closedStatus));
      await need().state.webhooks.flush();
    },
    ticketsWithMarker(marker) {
      return need().state.ticketsWithMarker(marker).length;
    },
    inventory: {
      company: INVENTORY_FIXTURES.client,
      site: INVENTORY_FIXTURES.site,
      type: INVENTORY_FIXTURES.workstationType,
      inactiveType: INVENTORY_FIXTURES.inactiveType,
      existing: INVENTORY_FIXTURES.existing,
      customText: `custom:${INVENTORY_FIXTURES.backupPlanField}`,
      customDate: 'custom:3',
      ownField: 'field:notes',
      rightWords: 'Assets',
      contact: { id: INVENTORY_FIXTURES.user.id, lastLoggedIn: ['HL-LPT-00112\\Tim Bowers', 'ACME\\tbowers'] },
      companyExtras: { parentId: INVENTORY_FIXTURES.topLevel },
    },
    configurationsWithDevice(deviceId) {
      return need().state.data.assets.filter((a) => a.inventory_number === deviceId).length;
    },
    revokeConfigurationRight(level) {
      if (level === 'write') need().state.setReadOnly('assets', true);
      else need().state.setRight('assets', false);
    },
    revokeBillingWrites() {
      need().state.setReadOnly('softwarelicensing', true);
    },
    importBillingRights: [],
  };
}
