/** ConnectWise contacts of one company (1 request per 1000), for matching a device's last logged-in user. */
import { withRight } from '../core/batch';
import type { PsaContact, PsaContacts } from '../core/contacts';
import type { ConnectWiseApi } from './api';
import { contactSchema } from './inventory-schemas';
import { isCwId } from './picklists';

export class ConnectWiseContacts implements PsaContacts {
  constructor(private readonly api: ConnectWiseApi) {}

  async listForCompany(companyId: string): Promise<PsaContact[]> {
    if (!isCwId(companyId)) return [];
    const rows = await withRight('Companies > Contacts (Inquire)', "the API member's security role, System > Security Roles", () =>
      this.api.all('company/contacts', contactSchema, 'contact', { conditions: `company/id=${companyId} and inactiveFlag=false` }),
    );
    return rows.map((c) => {
      const emails = (c.communicationItems ?? []).filter((i) => i.communicationType === 'Email' && i.value);
      const email = (emails.find((i) => i.defaultFlag) ?? emails[0])?.value ?? null;
      return {
        id: String(c.id),
        companyId,
        name: [c.firstName, c.lastName].filter(Boolean).join(' '),
        email,
        login: null,
        active: c.inactiveFlag !== true,
      };
    });
  }
}
