/**
 * Seat sync for HaloPSA: the organization's Software Licence `count`. Setting is absolute and
 * skips the write when the count already matches, so repeating it changes nothing.
 */
import { PsaNotFoundError, PsaUnavailableError, PsaValidationError } from '../core/errors';
import type { MappingValues, QuantityChange } from '../core/types';
import type { HaloApi } from './client';
import { isHaloId } from './picklists';
import { licenceSchema, type HaloLicence } from './schemas';

export class HaloBilling {
  constructor(private readonly api: HaloApi) {}

  async getQuantity(organization: MappingValues): Promise<number> {
    return (await this.licence(organization)).count ?? 0;
  }

  async setQuantity(organization: MappingValues, quantity: number): Promise<QuantityChange> {
    if (!Number.isInteger(quantity) || quantity < 0) {
      throw new PsaValidationError(`A seat quantity must be a whole number of at least 0 (got ${quantity})`, {
        details: ['quantity must be a non-negative integer'],
      });
    }
    const licence = await this.licence(organization);
    const previous = licence.count ?? 0;
    if (previous === quantity) return { previous, current: quantity };
    const saved = licenceSchema.safeParse(await this.api.upsert('SoftwareLicence', { id: Number(licence.id), count: quantity }, { idempotent: true }));
    if (!saved.success) throw new PsaUnavailableError('HaloPSA returned an unexpected software licence shape');
    return { previous, current: saved.data.count ?? quantity };
  }

  private async licence(organization: MappingValues): Promise<HaloLicence> {
    const id = organization.softwareLicence?.trim();
    if (!id || !isHaloId(id)) throw new PsaNotFoundError('The organization has no HaloPSA software licence mapped');
    const licence = await this.api.one(`SoftwareLicence/${id}`, licenceSchema);
    if (!licence) throw new PsaNotFoundError(`HaloPSA software licence ${id} no longer exists`);
    const customer = organization.customer?.trim();
    if (customer && licence.client_id && licence.client_id !== customer) {
      throw new PsaNotFoundError(`HaloPSA software licence ${id} does not belong to customer ${customer}`);
    }
    return licence;
  }
}
