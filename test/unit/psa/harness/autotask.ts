/**
 * ContractHarness for Autotask: the simulator on an ephemeral loopback port (zone discovery
 * included) and adapters built by the real factory against it.
 */
import { autotaskFactory } from '../../../../psa/autotask';
import type { UrlPolicy } from '../../../../psa/core/url-guard';
import type { Capability } from '../../../../psa/core/types';
import { INVENTORY_FIXTURES, SEED_CREDENTIALS, SEED_FIXTURES, startAutotaskSim, type AutotaskRight, type AutotaskSim, type AutotaskSimOptions } from '../../../../sims/autotask';
import type { ContractHarness } from './types';

export const LOOPBACK_POLICY: UrlPolicy = { allowHosts: [], allowPrivateNetworks: true, allowHttp: true };

export const CAPABILITY_RIGHTS: Record<Capability, AutotaskRight> = { tickets: 'tickets', companies: 'companies', billing: 'contracts', catalog: 'services' };

let seq = 0;

export interface AutotaskHarness extends ContractHarness {
  readonly autotask: AutotaskSim;
}

export function createAutotaskHarness(simOptions: AutotaskSimOptions = {}): AutotaskHarness {
  let running: AutotaskSim | null = null;
  const prefix = `autotask-harness-${process.pid}-${(seq += 1)}`;
  const need = () => {
    if (!running) throw new Error('Autotask harness not started');
    return running;
  };
  const build = (secret: string, key: string, limits?: Parameters<ContractHarness['adapter']>[0]) =>
    autotaskFactory.create(
      { apiUser: SEED_CREDENTIALS.apiUser, secret, integrationCode: SEED_CREDENTIALS.integrationCode },
      { connectionKey: `${prefix}:${key}`, urlPolicy: LOOPBACK_POLICY, autotaskZoneLookupUrl: need().url, ...(limits?.limits ? { limits: limits.limits } : {}) },
    );
  return {
    psa: 'autotask',
    get autotask() {
      return need();
    },
    get sim() {
      return need().server;
    },
    async start() {
      running = await startAutotaskSim({ port: 0, ...simOptions });
    },
    async stop() {
      await running?.close();
      running = null;
    },
    adapter: (options = {}) => build(SEED_CREDENTIALS.secret, options.key ?? 'default', options),
    badCredentialsAdapter: () => build('not-the-secret', 'bad'),
    fixtures: {
      ticketMapping: { ...SEED_FIXTURES.ticketMapping },
      planMapping: { ...SEED_FIXTURES.planMapping },
      organization: { ...SEED_FIXTURES.organization },
      initialQuantity: SEED_FIXTURES.initialQuantity,
    },
    lockApiUser: () => need().state.lockApiUser(),
    unlockApiUser: () => need().state.unlockApiUser(),
    revokeCapability: (c) => need().state.revokeRight(CAPABILITY_RIGHTS[c]),
    restoreCapabilities: () => need().state.restoreRights(),
    deactivateParent: () => {
      const contract = need().state.seed.contracts.find((c) => String(c.id) === SEED_FIXTURES.organization.contract);
      if (!contract) throw new Error('the seed contract is missing');
      contract.status = 0;
      return () => void (contract.status = 1);
    },
    deleteBillingObject: () => need().state.deleteContractService(Number(SEED_FIXTURES.organization.contractService)),
    technicianTouches: (id) => need().state.technicianNote(Number(id)),
    closeInPsa: (id) => need().state.technicianClose(Number(id)),
    ticketsWithMarker: (marker) => need().state.ticketsWithMarker(marker),
    inventory: {
      company: INVENTORY_FIXTURES.company,
      site: INVENTORY_FIXTURES.location,
      type: INVENTORY_FIXTURES.workstationProduct,
      inactiveType: INVENTORY_FIXTURES.inactiveProduct,
      existing: INVENTORY_FIXTURES.existing,
      customText: `custom:${INVENTORY_FIXTURES.backupPlanUdf}`,
      customDate: 'custom:Warranty Start',
      ownField: 'field:notes',
      rightWords: 'Configuration Items',
      contact: { id: INVENTORY_FIXTURES.contact.id, lastLoggedIn: ['HL-LPT-00112\\Tim Bowers', 'ALPINE\\tbowers'] },
      companyExtras: { phone: '+1 555 0100' },
    },
    configurationsWithDevice: (deviceId) => need().state.itemsWithUdf(INVENTORY_FIXTURES.deviceIdUdf, deviceId),
    revokeConfigurationRight: (level) => (level === 'write' ? need().state.revokeWrites('configurationItems') : need().state.revokeRight('configurationItems')),
    revokeBillingWrites: (scope) => (scope === 'create' ? need().state.revokeAdd('contracts') : need().state.revokeWrites('contracts')),
    importBillingRights: ['Contracts → Add = Yes'],
  };
}
