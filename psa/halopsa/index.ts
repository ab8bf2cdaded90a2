/**
 * HaloPSA adapter factory: validates the site URL against Halo's hosted host patterns (or the
 * deployment's allowHosts for self-hosted installs), then builds the adapter on a PsaHttpClient
 * with OAuth2 client-credentials auth and the connection's shared rate governor.
 */
import type { AdapterFactory } from '../core/factory';
import { governorFor, resolveLimits } from '../core/factory';
import type { GovernorLimits } from '../core/governor';
import { PsaHttpClient } from '../core/http';
import { validateSiteUrl } from '../core/url-guard';
import { checkSite } from '../core/site-check';
import { HaloPsaAdapter } from './adapter';
import { HaloTokenSource } from './auth';
import { HALO_HOST_PATTERNS, HALO_SECRET_FIELDS, haloPsaCredentialsSchema, type HaloPsaCredentials } from './credentials';
import { createHaloErrorMapper } from './errors';
import { HALOPSA_CAPABILITIES } from './capabilities';
import { verifyHaloPsaWebhook } from './webhook';

export type { HaloPsaCredentials } from './credentials';
export { haloPsaCredentialsSchema, normaliseSiteUrl, HALO_HOST_PATTERNS } from './credentials';
export { HaloPsaAdapter } from './adapter';
export { verifyHaloPsaWebhook, basicAuthorization, HALO_WEBHOOK_USERNAME, HALO_TICKET_EVENTS, type HaloWebhookEvent } from './webhook';
export { HALO_FIELDS } from './fields';

/** Hosted Halo: 300 requests per rolling 5 minutes; 10 in flight. */
export const HALO_DEFAULT_LIMITS: GovernorLimits = { maxRequests: 300, windowMs: 300_000, maxConcurrentPerEndpoint: 10 };

export const halopsaFactory: AdapterFactory<HaloPsaCredentials> = {
  psa: 'halopsa',
  credentialsSchema: haloPsaCredentialsSchema,
  defaultLimits: HALO_DEFAULT_LIMITS,
  secretFields: HALO_SECRET_FIELDS,
  capabilities: HALOPSA_CAPABILITIES,

  async create(rawCredentials, ctx) {
    // Re-parse so callers that skipped the schema still get a normalised URL and trimmed values.
    const creds = haloPsaCredentialsSchema.parse(rawCredentials);
    const site = await validateSiteUrl(creds.siteUrl, HALO_HOST_PATTERNS, ctx.urlPolicy);
    const baseUrl = `${site.origin}${site.pathname.replace(/\/+$/, '')}`;
    const normalised: HaloPsaCredentials = { ...creds, siteUrl: baseUrl };
    const limits = resolveLimits(HALO_DEFAULT_LIMITS, ctx.limits);

    let http: PsaHttpClient | null = null;
    const tokens = new HaloTokenSource(() => http as PsaHttpClient, normalised);
    http = new PsaHttpClient({
      baseUrl,
      governor: governorFor(`${ctx.connectionKey}:halopsa`, limits),
      mapError: createHaloErrorMapper(() => [creds.clientSecret, creds.clientId, tokens.current() ?? ''].filter(Boolean)),
      authHeaders: async () => ({ authorization: `Bearer ${await tokens.token()}` }),
      onUnauthorized: async () => {
        tokens.invalidate();
        await tokens.token(); // throws PsaAuthError (maybe accountDisabled) when Halo refuses a new token
        return true;
      },
      ...(ctx.timeoutMs !== undefined ? { timeoutMs: ctx.timeoutMs } : {}),
      ...(ctx.ca !== undefined ? { ca: ctx.ca } : {}),
      ...(ctx.onCall !== undefined ? { onCall: ctx.onCall } : {}),
    });
    return new HaloPsaAdapter(http, normalised, () => tokens.token());
  },

  async checkSites(credentials, ctx) {
    const parsed = haloPsaCredentialsSchema.safeParse(credentials);
    if (parsed.success) await checkSite(parsed.data.siteUrl, HALO_HOST_PATTERNS, ctx);
  },

  // Basic credentials we chose; Halo also calls us about our own changes, naming the agent.
  async verifyTicketEvent({ rawBody, headers, secret, site }) {
    const event = verifyHaloPsaWebhook(rawBody, headers, secret);
    const author = event.actorAgentId === undefined ? 'unknown' : event.actorAgentId === site.agentId ? 'us' : 'others';
    return { ticketId: event.ticketId, ...(event.closed === undefined ? {} : { closed: event.closed }), author };
  },
};
