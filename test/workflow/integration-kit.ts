/**
 * Per-PSA facts the integration tests need, taken from the simulators and the adapter
 * harnesses (seeded valid mapping values): credentials as a partner types them, a wrong
 * secret, a locked API user, and the API paths of one partner's integration.
 */
import type { Stack } from '../helpers/stack';
import type { SimServer } from '../../sims/common/server';
import type { MappingValues, PsaKind } from '../../psa/core/types';
import { SEED_CREDENTIALS as CW } from '../../sims/connectwise';
import { SEED_CREDENTIALS as HALO } from '../../sims/halopsa';
import { SEED_CREDENTIALS as AT } from '../../sims/autotask';
import { createConnectWiseHarness } from '../unit/psa/harness/connectwise';
import { CAPABILITY_RIGHTS as HALO_RIGHTS, createHaloPsaHarness } from '../unit/psa/harness/halopsa';
import { CAPABILITY_RIGHTS as AT_RIGHTS, createAutotaskHarness } from '../unit/psa/harness/autotask';
import { adapterFactories } from '../../psa/registry';

export interface VendorKit {
  psa: PsaKind;
  sim: SimServer;
  credentials(): Record<string, string>;
  /** Valid shape, wrong secret: the PSA refuses it. */
  wrongCredentials(): Record<string, string>;
  /** The secret field (must never appear anywhere in plaintext). */
  secretField: string;
  /** Every field the connect form requires. */
  requiredFields: string[];
  fixtures: { ticketMapping: MappingValues; planMapping: MappingValues; organization: MappingValues };
  lockApiUser(): void;
  unlockApiUser(): void;
  /** Takes the ticket right from the API user's role in the simulator. */
  revokeTicketsRight(): void;
  restoreRights(): void;
}

export const PSAS: PsaKind[] = ['connectwise', 'autotask', 'halopsa'];

export function vendorKits(stack: Stack): Record<PsaKind, VendorKit> {
  const { connectwise, autotask, halopsa } = stack.sims;
  const atSecret = adapterFactories.autotask.secretFields[0] as string;
  const fx = (h: { fixtures: VendorKit['fixtures'] }) => ({
    ticketMapping: { ...h.fixtures.ticketMapping },
    planMapping: { ...h.fixtures.planMapping },
    organization: { ...h.fixtures.organization },
  });
  // What the partner types (the seeds' forms); clientId and integration code come from the deployment.
  const cwCreds = () => ({ siteUrl: connectwise.host, companyId: CW.companyId, publicKey: CW.publicKey, privateKey: CW.privateKey });
  const atCreds = (): Record<string, string> => ({ apiUser: AT.apiUser, [atSecret]: AT.secret });
  const haloCreds = () => ({ siteUrl: halopsa.url, clientId: HALO.clientId, clientSecret: HALO.clientSecret });
  return {
    connectwise: {
      psa: 'connectwise',
      sim: connectwise.server,
      credentials: cwCreds,
      wrongCredentials: () => ({ ...cwCreds(), privateKey: 'not-the-private-key' }),
      secretField: 'privateKey',
      requiredFields: ['siteUrl', 'companyId', 'publicKey', 'privateKey'],
      fixtures: fx(createConnectWiseHarness()),
      lockApiUser: () => connectwise.state.lockApiUser(),
      unlockApiUser: () => connectwise.state.unlockApiUser(),
      revokeTicketsRight: () => connectwise.state.revokeCapability('tickets'),
      restoreRights: () => connectwise.state.restoreRights(),
    },
    autotask: {
      psa: 'autotask',
      sim: autotask.server,
      credentials: atCreds,
      wrongCredentials: () => ({ ...atCreds(), [atSecret]: 'not-the-secret' }),
      secretField: atSecret,
      requiredFields: ['apiUser', atSecret],
      fixtures: fx(createAutotaskHarness()),
      lockApiUser: () => autotask.state.lockApiUser(),
      unlockApiUser: () => autotask.state.unlockApiUser(),
      revokeTicketsRight: () => autotask.state.revokeRight(AT_RIGHTS.tickets),
      restoreRights: () => autotask.state.restoreRights(),
    },
    halopsa: {
      psa: 'halopsa',
      sim: halopsa.server,
      credentials: haloCreds,
      wrongCredentials: () => ({ ...haloCreds(), clientSecret: 'not-the-secret' }),
      secretField: 'clientSecret',
      requiredFields: ['siteUrl', 'clientId', 'clientSecret'],
      fixtures: fx(createHaloPsaHarness()),
      lockApiUser: () => halopsa.state.setApplicationActive(false),
      unlockApiUser: () => halopsa.state.setApplicationActive(true),
      revokeTicketsRight: () => halopsa.state.setRight(HALO_RIGHTS.tickets, false),
      restoreRights: () => halopsa.state.setRight(HALO_RIGHTS.tickets, true),
    },
  };
}

export const integrationsPath = (partnerId: string, psa?: PsaKind, rest = '') =>
  `/v1/partners/${partnerId}/integrations${psa ? `/${psa}${rest}` : ''}`;

/**
 * PSA writes the simulator saw (for "repeats no PSA write" and "no PSA call while unhealthy"). A
 * write the PSA refused (4xx) changed nothing: the HaloPSA rights probe's empty licence upsert.
 */
export const psaWrites = (sim: SimServer) => sim.log.filter((e) => e.method !== 'GET' && !/token|oauth/i.test(e.path) && !(e.status >= 400 && e.status < 500));
