/** The rows `npm run try -- import <psa> [--create-unmatched]` confirms, from a preview. */
import { parseTryImportFlags, tryImportPlan, TRY_PHONE } from '../../../main/try-import';
import type { ImportPreview, PreviewRow } from '../../../client/org-import';

const row = (over: Partial<PreviewRow>): PreviewRow => ({
  organizationId: `org-${Math.random()}`,
  organizationName: 'Org',
  planId: 'p',
  planName: 'Plan',
  planReady: true,
  outcome: 'none',
  match: null,
  alternatives: [],
  billing: null,
  values: null,
  ...over,
});

const preview = (rows: PreviewRow[], over: Partial<ImportPreview> = {}): ImportPreview => ({
  connectionId: 'c',
  psa: 'autotask',
  companiesScanned: 10,
  alreadyMapped: 0,
  createParents: [],
  createNeedsPhone: false,
  organizations: rows,
  ...over,
});

test('flags: only --create-unmatched is known', () => {
  expect(parseTryImportFlags([])).toEqual({ createUnmatched: false });
  expect(parseTryImportFlags(['--create-unmatched'])).toEqual({ createUnmatched: true });
  expect(parseTryImportFlags(['--create'])).toEqual({ error: expect.stringContaining('--create') });
});

test('matched rows with one billing object are mapped; unmatched ones are created only when asked; ties and plans not mapped are left', () => {
  const rows = [
    row({ organizationName: 'A', outcome: 'matched', values: { company: '1', contract: '2', contractService: '3' } }),
    row({ organizationName: 'B', outcome: 'none' }),
    row({ organizationName: 'C', outcome: 'weak' }),
    row({ organizationName: 'D', outcome: 'tie' }),
    row({ organizationName: 'E', outcome: 'none', planReady: false }),
    row({ organizationName: 'F', outcome: 'matched', billing: { values: null, fits: 2 } }),
  ];
  const plain = tryImportPlan(preview(rows), { createUnmatched: false });
  expect(plain.body?.rows.map((r) => r.action)).toEqual(['map']);
  expect(plain.left.map((l) => l.name)).toEqual(['B', 'C', 'D', 'E', 'F']);

  const created = tryImportPlan(preview(rows, { createNeedsPhone: true }), { createUnmatched: true });
  expect(created.body?.rows.map((r) => r.action)).toEqual(['map', 'create', 'create']);
  expect(created).toMatchObject({ mapped: 1, created: 2, body: { phone: TRY_PHONE } });
  expect(created.left.map((l) => [l.name, l.why])).toEqual([
    ['D', expect.stringContaining('several companies')],
    ['E', expect.stringContaining('plan is not mapped')],
    ['F', expect.stringContaining('2 billing objects')],
  ]);
  expect(created.body).not.toHaveProperty('createUnder');

  const halo = tryImportPlan(preview([row({ outcome: 'none' })], { createParents: [{ id: '7', name: 'Top' }] }), { createUnmatched: true });
  expect(halo.body).toMatchObject({ createUnder: '7', rows: [{ action: 'create' }] });
  expect(halo.body).not.toHaveProperty('phone');
});
