/**
 * `npm run docs:errors` writes docs/errors.md from the error catalogue (domain/error-catalogue.ts);
 * `npm run docs:errors -- --check` exits 1 when the file differs from what the catalogue gives.
 * A unit test makes the same comparison, so a stale file fails `npm test`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ERRORS, ERROR_CODES, NON_RETRYABLE_FAILURE_TYPES, WAITING_FAILURE_TYPES, type ErrorArea, type ErrorEntry } from '../domain/error-catalogue';

export const ERRORS_DOC_PATH = path.join(__dirname, '..', 'docs', 'errors.md');

const AREAS: Record<ErrorArea, string> = {
  request: 'Requests',
  integration: 'Connections',
  mapping: 'Mappings',
  tickets: 'Tickets',
  psa: 'PSA calls',
};

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const list = (types: readonly string[]) => types.map((t) => `\`${t}\``).join(', ');

export function renderErrorsDoc(): string {
  const lines = [
    '# Error codes',
    '',
    '<!-- Generated from domain/error-catalogue.ts by `npm run docs:errors`. Edit the catalogue, not this file. -->',
    '',
    'Every error psa-sync answers with carries one of these codes (`error.code` in HTTP answers). **HTTP** is',
    'the status the API answers with; **retryable** says whether the same request, unchanged, can succeed',
    'later; **type** is the error class the code travels as through Temporal. Where an error carries its own',
    'sentence (naming the PSA, the organization, the field), the API shows that one; the message below is the',
    'general one.',
    '',
    `Temporal never retries an activity that failed with ${list(NON_RETRYABLE_FAILURE_TYPES)}.`,
    `Ticket work waits (up to its catch-up window) and tries again after ${list(WAITING_FAILURE_TYPES)}.`,
  ];
  for (const [area, title] of Object.entries(AREAS) as [ErrorArea, string][]) {
    const codes = ERROR_CODES.filter((c) => ERRORS[c].area === area);
    lines.push('', `## ${title}`, '', '| code | HTTP | retryable | type | message | what to do |', '| --- | --- | --- | --- | --- | --- |');
    for (const code of codes) {
      const e: ErrorEntry = ERRORS[code];
      const retry = e.retryable ? 'yes' : e.waits ? 'no (work waits)' : 'no';
      lines.push(`| \`${code}\` | ${e.status} | ${retry} | ${e.type ? `\`${e.type}\`` : '—'} | ${cell(e.message)} | ${cell(e.remediation)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function main(): void {
  const want = renderErrorsDoc();
  if (process.argv.includes('--check')) {
    const have = fs.existsSync(ERRORS_DOC_PATH) ? fs.readFileSync(ERRORS_DOC_PATH, 'utf8') : '';
    if (have !== want) {
      console.error('docs/errors.md is stale: run `npm run docs:errors`');
      process.exit(1);
    }
    return;
  }
  fs.writeFileSync(ERRORS_DOC_PATH, want);
  console.log(`wrote ${path.relative(process.cwd(), ERRORS_DOC_PATH)} (${ERROR_CODES.length} codes)`);
}

if (require.main === module) main();
