/**
 * What the partner types in to connect ConnectWise Manage. Strings are trimmed; the site URL is
 * normalised to an https origin and must be the `api-` host of a ConnectWise cloud region
 * (the portal's own instructions say so; the UI host answers "SSL is required.").
 */
import { z } from 'zod';

/** ConnectWise cloud hosts; on-premise servers must be allowed via `UrlPolicy.allowHosts`. */
export const CONNECTWISE_HOST_PATTERNS = ['*.myconnectwise.net', '*.connectwisedev.com'] as const;

const CLOUD_DOMAINS = ['myconnectwise.net', 'connectwisedev.com'];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type SiteUrlResult = { ok: true; origin: string } | { ok: false; message: string };

/**
 * `api-na.myconnectwise.net`, `https://api-na.myconnectwise.net/v4_6_release/apis/3.0/` and
 * `http://api-na.myconnectwise.net` all become `https://api-na.myconnectwise.net`: ConnectWise
 * only serves the API over https, so keys are never sent in clear.
 */
export function normaliseSiteUrl(raw: string): SiteUrlResult {
  const trimmed = raw.trim();
  if (trimmed === '') return { ok: false, message: 'Enter the Site URL, e.g. api-na.myconnectwise.net' };
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { ok: false, message: 'Site URL is not a valid URL; enter the host, e.g. api-na.myconnectwise.net' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, message: 'Site URL must be an https address' };
  if (url.username || url.password) return { ok: false, message: 'Site URL must not contain a user name or password' };
  const host = url.hostname.toLowerCase();
  const typo = /^(api-[a-z0-9]+)-(myconnectwise\.net|connectwisedev\.com)$/.exec(host);
  if (typo) return { ok: false, message: `Site URL ${host} is not a ConnectWise host: did you mean ${typo[1]}.${typo[2]}?` };
  const domain = CLOUD_DOMAINS.find((d) => host === d || host.endsWith(`.${d}`));
  if (domain) {
    const label = host === domain ? '' : host.slice(0, -(domain.length + 1));
    if (!label.startsWith('api-') || label.includes('.')) {
      const region = label.replace(/^(www|api)\.?/, '').split('.')[0] || 'na';
      return {
        ok: false,
        message: `Site URL must be the ConnectWise API host with the api- prefix, e.g. api-${region}.${domain} (not ${host})`,
      };
    }
  }
  return { ok: true, origin: `https://${url.host.toLowerCase()}` };
}

const required = (label: string) => z.string({ error: `${label} is required` }).trim().min(1, `${label} is required`);

export const connectwiseCredentialsSchema = z.object({
  siteUrl: z.string({ error: 'Site URL is required' }).transform((value, ctx) => {
    const r = normaliseSiteUrl(value);
    if (r.ok) return r.origin;
    ctx.addIssue({ code: 'custom', message: r.message });
    return z.NEVER;
  }),
  /** The company id typed at the PSA login screen ("Company Identifier" in the portal). */
  companyId: required('Company ID').max(50, 'Company ID is at most 50 characters').regex(/^[A-Za-z0-9_.-]+$/, 'Company ID may only contain letters, digits, dot, dash and underscore'),
  publicKey: required('Public Key').max(100, 'Public Key is too long').regex(/^\S+$/, 'Public Key must not contain spaces'),
  privateKey: required('Private Key').max(100, 'Private Key is too long').regex(/^\S+$/, 'Private Key must not contain spaces'),
  /**
   * The integration's clientId GUID from developer.connectwise.com. It belongs to the vendor, so
   * the deployment configures it (`AdapterContext.integrationId`); accepted here only so that
   * connections stored with one keep working.
   */
  clientId: required('Client ID').regex(GUID, 'Client ID must be the GUID issued by developer.connectwise.com').optional(),
  /** Codebase from `/login/companyinfo` (e.g. `v2025_1/`), persisted after the first connect to skip discovery. */
  codebase: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_.]+\/?$/, 'Codebase looks like v2025_1/')
    .transform((c) => (c.endsWith('/') ? c : `${c}/`))
    .optional(),
});

/** The clientId a connection's calls carry: its own stored one, else the deployment's. */
export function clientIdFor(creds: { clientId?: string | undefined }, integrationId: string | undefined): string | null {
  const id = creds.clientId ?? integrationId?.trim();
  return id && GUID.test(id) ? id : null;
}

export type ConnectWiseCredentials = z.output<typeof connectwiseCredentialsSchema>;
export type ConnectWiseCredentialsInput = z.input<typeof connectwiseCredentialsSchema>;
