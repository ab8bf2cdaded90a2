/**
 * What a partner types into the portal to connect HaloPSA: the site URL (the resource server
 * URL without `/api`, as Halo shows it under Configuration > Integrations > HaloPSA API), the
 * API application's client id and secret, and — for hosted instances that need it — the tenant.
 */
import { z } from 'zod';

/** Host patterns of Halo's hosted instances; self-hosted installs come in via the URL policy's allowHosts. */
export const HALO_HOST_PATTERNS = ['*.halopsa.com', '*.haloitsm.com', '*.haloservicedesk.com'] as const;

/**
 * Partners paste the resource server URL in many shapes ("acme.halopsa.com/api/", "https://acme.halopsa.com").
 * Normalise to `https://host[/path]` without `/api` and without trailing slashes.
 */
export function normaliseSiteUrl(raw: string): string {
  let url = raw.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) url = `https://${url}`;
  url = url.replace(/\/+$/, '');
  url = url.replace(/\/api$/i, '');
  return url.replace(/\/+$/, '');
}

const required = (label: string) => z.string({ error: `${label} is required` }).trim().min(1, `${label} is required`);

export interface HaloPsaCredentials {
  siteUrl: string;
  clientId: string;
  clientSecret: string;
  tenant?: string | undefined;
}

export const haloPsaCredentialsSchema: z.ZodType<HaloPsaCredentials> = z.object({
  siteUrl: required('Site URL').transform(normaliseSiteUrl),
  clientId: required('Client ID'),
  clientSecret: required('Client Secret'),
  /** Hosted tenants' `?tenant=` on the token request; blank means none. */
  tenant: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined)),
});

export const HALO_SECRET_FIELDS = ['clientSecret'] as const;
