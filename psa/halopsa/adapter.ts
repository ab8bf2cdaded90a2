/**
 * The HaloPSA PsaAdapter: wires the token source, HTTP client and the per-area modules
 * (picklists, tickets, billing, permissions, webhooks) together.
 */
import { createHash } from 'node:crypto';
import { PsaNotFoundError } from '../core/errors';
import type { PsaHttpClient } from '../core/http';
import type {
  BillingLine,
  BillingSnapshot,
  ParentsSnapshot,
  ConnectionInfo,
  MappingKind,
  MappingValues,
  OptionsQuery,
  Page,
  PermissionReport,
  PicklistOption,
  PsaAdapter,
  PsaTicket,
  TicketCheck,
  TicketWrite,
  QuantityChange,
  TicketDraft,
} from '../core/types';
import type { PsaCompanies } from '../core/companies';
import type { ConfigurationOptions, PsaConfigurationItems } from '../core/configurations';
import type { PsaContacts } from '../core/contacts';
import { HaloBilling } from './billing';
import { HaloCompanies, HaloContacts } from './companies';
import { HaloConfigurations } from './configurations';
import { HaloApi } from './client';
import type { HaloPsaCredentials } from './credentials';
import { HALO_FIELDS } from './fields';
import { HaloIdentity } from './identity';
import { probeHaloPermissions } from './permissions';
import { HaloPicklists } from './picklists';
import { webhookSchema } from './schemas';
import { HaloTickets } from './tickets';
import { HALO_TICKET_EVENTS, HALO_WEBHOOK_USERNAME } from './webhook';

export class HaloPsaAdapter implements PsaAdapter {
  readonly psa = 'halopsa' as const;
  readonly fields = HALO_FIELDS;
  private readonly api: HaloApi;
  private readonly identity: HaloIdentity;
  private readonly picklists: HaloPicklists;
  private readonly tickets: HaloTickets;
  private readonly licences: HaloBilling;
  private readonly ensureAuth: () => Promise<unknown>;

  constructor(
    http: PsaHttpClient,
    private readonly creds: HaloPsaCredentials,
    ensureAuth: () => Promise<unknown>,
  ) {
    this.ensureAuth = ensureAuth;
    this.api = new HaloApi(http, ensureAuth);
    const identityKey = createHash('sha256').update(`${creds.siteUrl}\n${creds.clientId}\n${creds.tenant ?? ''}`).digest('hex');
    this.identity = new HaloIdentity(this.api, identityKey);
    this.picklists = new HaloPicklists(this.api);
    this.tickets = new HaloTickets(this.api, this.identity);
    this.licences = new HaloBilling(this.api);
  }

  async testConnection(): Promise<ConnectionInfo> {
    const agent = await this.identity.refresh();
    const site: Record<string, string> = { siteUrl: this.creds.siteUrl, agentId: agent.id, agentName: agent.name };
    if (this.creds.tenant) site.tenant = this.creds.tenant;
    return { accountName: new URL(this.creds.siteUrl).host, version: null, site };
  }

  probePermissions(): Promise<PermissionReport> {
    return probeHaloPermissions(this.api);
  }

  options(kind: MappingKind, field: string, query?: OptionsQuery): Promise<Page<PicklistOption>> {
    return this.picklists.options(kind, field, query);
  }

  option(kind: MappingKind, field: string, id: string, parents?: MappingValues): Promise<PicklistOption | null> {
    return this.picklists.option(kind, field, id, parents);
  }

  findTicketByMarker(marker: string): Promise<PsaTicket | null> {
    return this.tickets.findByMarker(marker);
  }

  createTicket(draft: TicketDraft): Promise<PsaTicket> {
    return this.tickets.create(draft);
  }

  getTicket(ticketId: string): Promise<PsaTicket> {
    return this.tickets.get(ticketId);
  }

  checkTicket(ticketId: string, watermark: string | null): Promise<TicketCheck> {
    return this.tickets.check(ticketId, watermark);
  }

  addTicketNote(ticketId: string, text: string): Promise<TicketWrite> {
    return this.tickets.addNote(ticketId, text);
  }

  findNote(ticketId: string, token: string): Promise<TicketWrite | null> {
    return this.tickets.findNote(ticketId, token);
  }

  closeTicket(ticketId: string, closedStatusId: string, note: string): Promise<PsaTicket> {
    return this.tickets.setStatus(ticketId, closedStatusId, note, true);
  }

  reopenTicket(ticketId: string, openStatusId: string, note: string): Promise<PsaTicket> {
    return this.tickets.setStatus(ticketId, openStatusId, note, false);
  }

  async subscribeTicketEvents(url: string, secret: string): Promise<string> {
    const saved = await this.api.upsert(
      'Webhook',
      {
        name: 'psa-sync ticket events',
        url,
        method: 'POST',
        content_type: 'application/json',
        authentication_type: 'basic',
        basic_username: HALO_WEBHOOK_USERNAME,
        basic_password: secret,
        payload_type: 'full',
        active: true,
        events: HALO_TICKET_EVENTS.map((name) => ({ name })),
      },
      { idempotent: false },
    );
    return webhookSchema.parse(saved).id;
  }

  async unsubscribeTicketEvents(subscriptionId: string): Promise<void> {
    if (!/^[\w-]{1,64}$/.test(subscriptionId)) return;
    try {
      await this.api.delete(`Webhook/${subscriptionId}`);
    } catch (err) {
      if (!(err instanceof PsaNotFoundError)) throw err; // already gone is what we wanted
    }
  }

  billing(mappings: readonly MappingValues[]): Promise<BillingSnapshot> {
    return this.licences.list(mappings);
  }

  inactiveParents(mappings: readonly MappingValues[]): Promise<ParentsSnapshot> {
    return this.licences.inactiveCustomers(mappings);
  }

  setBillingQuantity(organization: MappingValues, quantity: number, current: BillingLine): Promise<QuantityChange> {
    return this.licences.setKnown(organization, quantity, current);
  }

  getQuantity(organization: MappingValues): Promise<number> {
    return this.licences.getQuantity(organization);
  }

  setQuantity(organization: MappingValues, quantity: number): Promise<QuantityChange> {
    return this.licences.setQuantity(organization, quantity);
  }

  private readonly configurationsBySettings = new Map<string, HaloConfigurations>();

  /** `options.assetGroupId`: the asset group of asset types created for new device types. One instance per settings, so lookups made once stay made. */
  configurations(options: ConfigurationOptions = {}): PsaConfigurationItems {
    const key = options.assetGroupId ?? '';
    let found = this.configurationsBySettings.get(key);
    if (!found) this.configurationsBySettings.set(key, (found = new HaloConfigurations(this.api, this.ensureAuth, options)));
    return found;
  }

  companies(): PsaCompanies {
    return new HaloCompanies(this.api, this.ensureAuth);
  }

  contacts(): PsaContacts {
    return new HaloContacts(this.api);
  }
}
