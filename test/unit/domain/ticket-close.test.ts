/** The close policy of a service ticket, decision by decision. */
import { alreadyRecorded, closeAfterRead, closeApproach, closeOfRecordedOutcome, nextNoteToken, recoveryOutcome, withNoteToken, type CloseOutcome } from '../../../domain/ticket-close';

const untouched = { touchedByOthers: false, canCloseUnread: true, eventsLive: true, hasOpenStatus: true };

test('the close skips the read only when the PSA can close unread, events are live, the row is unmarked and an open status exists', () => {
  expect(closeApproach(untouched)).toBe('close_unread');
  expect(closeApproach({ ...untouched, touchedByOthers: true })).toBe('read_first');
  expect(closeApproach({ ...untouched, canCloseUnread: false })).toBe('read_first');
  expect(closeApproach({ ...untouched, eventsLive: false })).toBe('read_first');
  expect(closeApproach({ ...untouched, hasOpenStatus: false })).toBe('read_first');
});

test('the read decides: adopt our lost close, record a PSA close, note only, or close', () => {
  expect(closeAfterRead({ closed: true, touched: false })).toBe('adopt');
  expect(closeAfterRead({ closed: true, touched: true })).toBe('closed_in_psa');
  expect(closeAfterRead({ closed: false, touched: true })).toBe('note_only');
  expect(closeAfterRead({ closed: false, touched: false })).toBe('close');
});

test("each close outcome records the recovery alert's outcome, and a re-run reads it back", () => {
  const outcomes: CloseOutcome[] = ['closed', 'already_closed', 'noted_only', 'closed_in_psa'];
  expect(outcomes.map((o) => recoveryOutcome(o).outcome)).toEqual(['closed', 'closed', 'recovery_noted', 'no_open_ticket']);
  expect(recoveryOutcome('noted_only').reason).toMatch(/left open/);
  for (const o of ['closed', 'noted_only', 'closed_in_psa'] as const) expect(closeOfRecordedOutcome(recoveryOutcome(o).outcome)).toBe(o);
  expect(closeOfRecordedOutcome(null)).toBeUndefined();
  expect(closeOfRecordedOutcome('noted')).toBeUndefined();
  expect(closeOfRecordedOutcome('constructor')).toBeUndefined();
});

test('a write counts as made only when every one of its alerts carries its outcome', () => {
  const recorded = [
    { id: 'a', outcome: 'noted' },
    { id: 'b', outcome: 'noted' },
    { id: 'c', outcome: 'ticket_reopened' },
  ];
  expect(alreadyRecorded(recorded, ['a', 'b'], 'noted')).toBe(true);
  expect(alreadyRecorded(recorded, ['a', 'c'], 'noted')).toBe(false);
  expect(alreadyRecorded(recorded, ['d'], 'noted')).toBe(false);
  expect(alreadyRecorded(recorded, [], 'noted')).toBe(false);
});

test("notes carry the next note's token at the end", () => {
  const token = nextNoteToken({ marker: 'psa-sync:org:backup_failed:3', noteCount: 4 });
  expect(token).toBe('psa-sync:org:backup_failed:3#note-5');
  expect(withNoteToken('Backup failed again', token)).toBe('Backup failed again\n(ref psa-sync:org:backup_failed:3#note-5)');
});
