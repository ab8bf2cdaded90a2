/**
 * Contacts (ConnectWise contacts, Autotask contacts, HaloPSA users) for user matching: a device's
 * last logged-in user (`DOMAIN\user` as the RMM reports it) is matched on its whole value and on
 * the part after the last backslash, against each contact's login, e-mail (and its local part)
 * and full name, ignoring case.
 */
export interface PsaContact {
  id: string;
  companyId: string;
  /** "First Last" as the PSA shows it. */
  name: string;
  email: string | null;
  /** Network login where the PSA keeps one (HaloPSA `login` / `samaccountname`); null elsewhere. */
  login: string | null;
  active: boolean;
}

export interface PsaContacts {
  /** Every active contact of one company (paged internally). */
  listForCompany(companyId: string): Promise<PsaContact[]>;
}

/** The values a last logged-in user is matched on: the whole value, then the part after the last `\`. */
export function loginCandidates(lastLoggedInUser: string): string[] {
  const whole = lastLoggedInUser.trim();
  if (!whole) return [];
  const slash = whole.lastIndexOf('\\');
  const after = slash >= 0 ? whole.slice(slash + 1).trim() : '';
  return after && after.toLowerCase() !== whole.toLowerCase() ? [whole, after] : [whole];
}

const keysOf = (c: PsaContact): string[] => {
  const keys = [c.login, c.email, c.email?.split('@')[0] ?? null, c.name];
  return keys.filter((k): k is string => typeof k === 'string' && k.trim() !== '').map((k) => k.trim().toLowerCase());
};

/**
 * The one active contact the last logged-in user names, trying the whole value before the part
 * after the backslash. Two contacts matching equally well is no match: a device is never
 * assigned to a guess.
 */
export function matchContact(lastLoggedInUser: string, contacts: readonly PsaContact[]): PsaContact | null {
  const active = contacts.filter((c) => c.active);
  for (const candidate of loginCandidates(lastLoggedInUser)) {
    const want = candidate.toLowerCase();
    const hits = active.filter((c) => keysOf(c).includes(want));
    if (hits.length === 1) return hits[0] as PsaContact;
    if (hits.length > 1) return null;
  }
  return null;
}
