/**
 * What the API member's security role allows, read from `GET system/mySecurity` (one call: every
 * module function of the member's role with its Add / Edit / Delete / Inquire level). Reads can be
 * probed by reading; this is how write rights are probed without writing. A level other than
 * "None" counts as held. The module names are those of the security-role screen (System >
 * Security Roles) and of connectwise-api-member.txt, e.g. "Finance > Agreements".
 */
import { z } from 'zod';
import { PsaNotFoundError, PsaPermissionError, PsaValidationError } from '../core/errors';
import type { MissingRight } from '../core/configurations';
import type { ConnectWiseApi } from './api';

export type SecurityLevel = 'add' | 'edit' | 'delete' | 'inquire';

const mySecuritySchema = z.looseObject({
  moduleName: z.string().nullish(),
  moduleFunctionName: z.string().nullish(),
  addLevel: z.string().nullish(),
  editLevel: z.string().nullish(),
  deleteLevel: z.string().nullish(),
  inquireLevel: z.string().nullish(),
});

/** Levels held per module ("Finance > Agreements"), lower-cased keys. */
export type RoleLevels = Map<string, Set<SecurityLevel>>;

const LABEL: Record<SecurityLevel, string> = { add: 'Add', edit: 'Edit', delete: 'Delete', inquire: 'Inquire' };
const WHERE = "the API member's security role in ConnectWise (System > Security Roles)";

/** A right a feature needs: the module and the levels in it. */
export interface RoleRight {
  module: string;
  levels: readonly SecurityLevel[];
}

/** The rights the organization import's billing writes need: agreement + addition, and a billing contact. */
export const IMPORT_BILLING_RIGHTS: readonly RoleRight[] = [
  { module: 'Finance > Agreements', levels: ['add'] },
  { module: 'Companies > Contacts', levels: ['add', 'inquire'] },
];

/** The rights seat sync writes with (the addition's quantity is edited). */
export const SEAT_SYNC_RIGHTS: readonly RoleRight[] = [{ module: 'Finance > Agreements', levels: ['edit'] }];

/**
 * The member's role, or null when ConnectWise does not answer it (an older site without the
 * endpoint, or a role that may not read it): then nothing is reported and a write the role
 * refuses names its right when it happens.
 */
export async function readRole(api: ConnectWiseApi): Promise<RoleLevels | null> {
  const rows: z.output<typeof mySecuritySchema>[] = [];
  try {
    // Plain numbered pages (every endpoint has them); a role lists a few hundred module functions.
    for (let page: number | null = 1; page !== null && page <= 10; ) {
      const res: { items: z.output<typeof mySecuritySchema>[]; nextPage: number | null } = await api.page('system/mySecurity', mySecuritySchema, 'security role', { page, pageSize: 1000 });
      rows.push(...res.items);
      page = res.nextPage;
    }
  } catch (err) {
    // An older site without the endpoint, a role that may not read it, or an answer it does not
    // accept: nothing can be said, and nothing is reported.
    if (err instanceof PsaNotFoundError || err instanceof PsaPermissionError || err instanceof PsaValidationError) return null;
    throw err;
  }
  const out: RoleLevels = new Map();
  for (const r of rows) {
    if (!r.moduleName || !r.moduleFunctionName) continue;
    const held = new Set<SecurityLevel>();
    const levels: [SecurityLevel, string | null | undefined][] = [['add', r.addLevel], ['edit', r.editLevel], ['delete', r.deleteLevel], ['inquire', r.inquireLevel]];
    for (const [level, value] of levels) if (value && value.trim().toLowerCase() !== 'none') held.add(level);
    out.set(`${r.moduleName.trim()} > ${r.moduleFunctionName.trim()}`.toLowerCase(), held);
  }
  return out;
}

/** Each right of `wanted` the role lacks, as "Finance > Agreements (Add)" with the sentence naming where to add it. */
export function lacking(role: RoleLevels | null, wanted: readonly RoleRight[]): MissingRight[] {
  if (!role) return [];
  const out: MissingRight[] = [];
  for (const { module, levels } of wanted) {
    const held = role.get(module.toLowerCase());
    // A module the answer does not list at all says nothing either way.
    if (!held) continue;
    const gone = levels.filter((l) => !held.has(l));
    if (gone.length === 0) continue;
    const right = `${module} (${gone.map((l) => LABEL[l]).join(', ')})`;
    out.push({ right, detail: `Add ${right} to ${WHERE}.` });
  }
  return out;
}
