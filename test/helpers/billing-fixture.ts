/**
 * Billing objects of many organizations in the simulators (one agreement + addition, contract +
 * contract service with its current period, or software licence each), as a partner has them
 * when every customer is billed on its own line; and what a technician does to them in the PSA
 * (edit a quantity, delete the object, lock the API user).
 */
import type { MappingValues, PsaKind } from '../../psa/core/types';
import * as cw from '../../sims/connectwise';
import * as at from '../../sims/autotask';
import * as halo from '../../sims/halopsa';
import type { Sims } from './stack';

export interface BillingControls {
  /** Creates one billing object per quantity; returns their organization mappings. */
  create(quantities: number[]): MappingValues[];
  quantityOf(values: MappingValues): number | null;
  /** A technician edits the quantity in the PSA. */
  setInPsa(values: MappingValues, quantity: number): void;
  /** The billing object is deleted in the PSA. */
  remove(values: MappingValues): void;
  /**
   * A technician makes it inactive (`active` false) or active again: the billing line itself
   * (ConnectWise addition cancelled, Autotask contract inactive, HaloPSA licence inactive) or the
   * object above it (ConnectWise agreement cancelled, Autotask company or HaloPSA customer inactive;
   * the last two are shared by every object this fixture makes, so set them back).
   */
  setActive(values: MappingValues, part: 'line' | 'parent', active: boolean): void;
  lockApiUser(): void;
  unlockApiUser(): void;
  /** Requests the simulator has answered so far. */
  requests(): number;
  /** Quantity writes (PATCH addition / adjustment create / licence upsert) the simulator received. */
  writes(): number;
}

let nextId = 1;
const fresh = (base: number) => base + (nextId += 1);

export function billingControls(psa: PsaKind, sims: Sims): BillingControls {
  switch (psa) {
    case 'connectwise': {
      const s = sims.connectwise.state;
      const seedAgreement = s.data.agreements.find((a) => String(a.id) === cw.SEED_FIXTURES.organization.agreement);
      const seedAddition = s.data.additions.find((a) => String(a.id) === cw.SEED_FIXTURES.organization.agreementAddition);
      if (!seedAgreement || !seedAddition) throw new Error('ConnectWise seed has no agreement addition');
      return {
        create: (qs) =>
          qs.map((quantity) => {
            const agreementId = fresh(600_000);
            const additionId = fresh(800_000);
            s.data.agreements.push({ ...structuredClone(seedAgreement), id: agreementId, name: `Backup ${agreementId}` });
            s.data.additions.push({ ...structuredClone(seedAddition), id: additionId, agreementId, quantity });
            return { company: cw.SEED_FIXTURES.organization.company, agreement: String(agreementId), agreementAddition: String(additionId) };
          }),
        quantityOf: (v) => s.data.additions.find((a) => String(a.id) === v.agreementAddition)?.quantity ?? null,
        setInPsa: (v, q) => {
          const a = s.data.additions.find((x) => String(x.id) === v.agreementAddition);
          if (a) a.quantity = q;
        },
        remove: (v) => s.deleteAddition(Number(v.agreementAddition)),
        setActive: (v, part, active) => {
          if (part === 'line') {
            const a = s.data.additions.find((x) => String(x.id) === v.agreementAddition);
            if (a) a.cancelledDate = active ? null : '2024-12-31T00:00:00Z';
            return;
          }
          const ag = s.data.agreements.find((x) => String(x.id) === v.agreement);
          if (ag) Object.assign(ag, { cancelledFlag: !active, agreementStatus: active ? 'Active' : 'Cancelled' });
        },
        lockApiUser: () => s.lockApiUser(),
        unlockApiUser: () => s.unlockApiUser(),
        requests: () => sims.connectwise.server.log.length,
        writes: () => sims.connectwise.server.log.filter((r) => r.method === 'PATCH' && /\/additions\/\d+$/.test(r.path)).length,
      };
    }
    case 'autotask': {
      const s = sims.autotask.state;
      const period = at.createSeed().units[0] as { startDate: string; endDate: string };
      const serviceId = s.seed.contractServices[0]?.serviceID as number;
      return {
        create: (qs) =>
          qs.map((units) => {
            const contractId = fresh(70_000_000);
            const csId = fresh(90_000_000);
            s.seed.contracts.push({ id: contractId, companyID: 1000, contractName: `Backup ${contractId}`, contractType: 7, status: 1 });
            s.seed.contractServices.push({ id: csId, contractID: contractId, serviceID: serviceId, invoiceDescription: 'Backup seats', unitPrice: 4 });
            s.seed.units.push({ id: fresh(95_000_000), contractID: contractId, contractServiceID: csId, serviceID: serviceId, startDate: period.startDate, endDate: period.endDate, units });
            return { company: '1000', contract: String(contractId), contractService: String(csId) };
          }),
        quantityOf: (v) => s.seed.units.find((u) => String(u.contractServiceID) === v.contractService)?.units ?? null,
        setInPsa: (v, q) => {
          const u = s.seed.units.find((x) => String(x.contractServiceID) === v.contractService);
          if (u) u.units = q;
        },
        remove: (v) => s.deleteContractService(Number(v.contractService)),
        setActive: (v, part, active) => {
          if (part === 'line') {
            const c = s.seed.contracts.find((x) => String(x.id) === v.contract);
            if (c) c.status = active ? 1 : 0;
            return;
          }
          const company = s.seed.companies.find((x) => String(x.id) === v.company);
          if (company) company.isActive = active;
        },
        lockApiUser: () => s.lockApiUser(),
        unlockApiUser: () => s.unlockApiUser(),
        requests: () => sims.autotask.server.log.length,
        writes: () => sims.autotask.server.log.filter((r) => r.method === 'POST' && /ContractServiceAdjustments$/i.test(r.path)).length,
      };
    }
    case 'halopsa': {
      const s = sims.halopsa.state;
      const seedLicence = s.data.licences.find((l) => String(l.id) === halo.SEED_FIXTURES.organization.softwareLicence);
      if (!seedLicence) throw new Error('HaloPSA seed has no licence');
      return {
        create: (qs) =>
          qs.map((count) => {
            const id = s.data.nextId.licence++;
            s.data.licences.push({ ...structuredClone(seedLicence), id, count });
            return { customer: halo.SEED_FIXTURES.organization.customer, softwareLicence: String(id) };
          }),
        quantityOf: (v) => s.data.licences.find((l) => String(l.id) === v.softwareLicence)?.count ?? null,
        setInPsa: (v, q) => {
          const l = s.data.licences.find((x) => String(x.id) === v.softwareLicence);
          if (l) l.count = q;
        },
        remove: (v) => s.deleteLicence(Number(v.softwareLicence)),
        setActive: (v, part, active) => {
          if (part === 'line') {
            const l = s.data.licences.find((x) => String(x.id) === v.softwareLicence);
            if (l) l.is_active = active;
            return;
          }
          const c = s.data.clients.find((x) => String(x.id) === v.customer);
          if (c) c.inactive = !active;
        },
        lockApiUser: () => s.setAgentInactive(halo.API_AGENT_ID, true),
        unlockApiUser: () => s.setAgentInactive(halo.API_AGENT_ID, false),
        requests: () => sims.halopsa.server.log.length,
        writes: () => sims.halopsa.server.log.filter((r) => r.method === 'POST' && /\/api\/SoftwareLicence$/i.test(r.path)).length,
      };
    }
  }
}
