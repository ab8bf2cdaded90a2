/**
 * ContractHarness for ConnectWise: the HTTPS simulator on port 0 with its test CA, and real
 * adapters built by `connectwiseFactory` against it (loopback is allowed by the test policy).
 */
import { connectwiseFactory, type ConnectWiseCredentialsInput } from '../../../../psa/connectwise';
import type { PsaAdapter } from '../../../../psa/core/types';
import type { UrlPolicy } from '../../../../psa/core/url-guard';
import type { GovernorLimits } from '../../../../psa/core/governor';
import type { SimServer } from '../../../../sims/common/server';
import { INVENTORY_FIXTURES, SEED_CREDENTIALS, SEED_FIXTURES, startConnectWiseSim, type ConnectWiseSim, type ConnectWiseSimOptions } from '../../../../sims/connectwise';
import type { ContractHarness } from './types';

export const SIM_URL_POLICY: UrlPolicy = { allowHosts: [], allowPrivateNetworks: true, allowHttp: true };

let harnessSeq = 0;

export interface ConnectWiseHarness extends ContractHarness {
  /** The running simulator with its state and CA (ConnectWise-specific tests). */
  readonly cw: ConnectWiseSim;
  /** Credentials as a partner would type them for the simulator. */
  credentials(overrides?: Partial<ConnectWiseCredentialsInput>): ConnectWiseCredentialsInput;
  /** Gives the API member back every right (the contract suite revokes one and never restores it). */
  restoreCapabilities(): void;
  adapterWith(overrides: Partial<ConnectWiseCredentialsInput>, options?: { limits?: Partial<GovernorLimits>; key?: string }): Promise<PsaAdapter>;
}

export function createConnectWiseHarness(simOptions: ConnectWiseSimOptions = {}): ConnectWiseHarness {
  let running: ConnectWiseSim | null = null;
  const keyPrefix = `cw-harness-${process.pid}-${++harnessSeq}`;
  const live = (): ConnectWiseSim => {
    if (!running) throw new Error('ConnectWise harness is not started');
    return running;
  };

  const credentials = (overrides: Partial<ConnectWiseCredentialsInput> = {}): ConnectWiseCredentialsInput => ({
    siteUrl: live().host,
    companyId: SEED_CREDENTIALS.companyId,
    publicKey: SEED_CREDENTIALS.publicKey,
    privateKey: SEED_CREDENTIALS.privateKey,
    clientId: SEED_CREDENTIALS.clientId,
    ...overrides,
  });

  const build = async (overrides: Partial<ConnectWiseCredentialsInput>, options: { limits?: Partial<GovernorLimits>; key?: string } = {}) =>
    connectwiseFactory.create(connectwiseFactory.credentialsSchema.parse(credentials(overrides)), {
      connectionKey: options.key ?? keyPrefix,
      urlPolicy: SIM_URL_POLICY,
      limits: options.limits,
      ca: live().ca,
      timeoutMs: 5000,
    });

  return {
    psa: 'connectwise',
    async start() {
      running = await startConnectWiseSim({ callbackRetryDelaysMs: [50, 100], ...simOptions });
    },
    async stop() {
      await running?.close();
      running = null;
    },
    get sim(): SimServer {
      return live().server;
    },
    get cw(): ConnectWiseSim {
      return live();
    },
    credentials,
    adapter: (options) => build({}, options),
    adapterWith: build,
    badCredentialsAdapter: () => build({ privateKey: 'wrong-private-key' }),
    fixtures: {
      ticketMapping: { ...SEED_FIXTURES.ticketMapping },
      planMapping: { ...SEED_FIXTURES.planMapping },
      organization: { ...SEED_FIXTURES.organization },
      initialQuantity: SEED_FIXTURES.initialQuantity,
    },
    lockApiUser: () => live().state.lockApiUser(),
    unlockApiUser: () => live().state.unlockApiUser(),
    revokeCapability: (capability) => live().state.revokeCapability(capability),
    restoreCapabilities: () => live().state.restoreRights(),
    deactivateParent: () => {
      const company = live().state.data.companies.find((c) => String(c.id) === SEED_FIXTURES.organization.company);
      if (!company) throw new Error('the seed company is missing');
      const status = company.status;
      company.status = { ...status, name: 'Inactive' };
      return () => void (company.status = status);
    },
    deleteBillingObject: () => live().state.deleteAddition(Number(SEED_FIXTURES.organization.agreementAddition)),
    technicianTouches: (ticketId) => live().state.technicianNote(Number(ticketId)),
    closeInPsa: (ticketId) => live().state.technicianClose(Number(ticketId)),
    ticketsWithMarker: (marker) => live().state.ticketsWithMarker(marker),
    inventory: {
      company: INVENTORY_FIXTURES.company,
      site: INVENTORY_FIXTURES.site,
      type: INVENTORY_FIXTURES.workstationType,
      inactiveType: INVENTORY_FIXTURES.inactiveType,
      existing: INVENTORY_FIXTURES.existing,
      customText: `custom:${INVENTORY_FIXTURES.customFields.backupPlan}`,
      customDate: `custom:${INVENTORY_FIXTURES.customFields.warrantyStart}`,
      ownField: 'field:osInfo',
      rightWords: 'Companies > Configurations',
      contact: { id: INVENTORY_FIXTURES.contact.id, lastLoggedIn: ['HL-LPT-00112\\Tim Bowers', 'NORTHWIND\\tbowers'] },
      companyExtras: {},
    },
    configurationsWithDevice: (deviceId) => live().state.data.configurations.filter((c) => c.deviceIdentifier === deviceId).length,
    revokeConfigurationRight: (level) => live().state.revokeRight('Companies > Configurations', level === 'write' ? ['add', 'edit'] : undefined),
    revokeBillingWrites: (scope) => {
      live().state.revokeRight('Finance > Agreements', scope === 'create' ? ['add'] : ['add', 'edit']);
      live().state.revokeRight('Companies > Contacts', ['add']);
    },
    importBillingRights: ['Finance > Agreements (Add)', 'Companies > Contacts (Add)'],
  };
}
