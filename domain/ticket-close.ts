/**
 * How a service ticket is closed on recovery, as pure decisions; activities/tickets.ts makes the
 * calls. The engine closes only a ticket nobody else has worked on; otherwise it adds a note and
 * leaves the ticket to the technician. A PSA's record shows only its latest change and our own
 * next write hides it, so the close reads the record first — except where the close takes two
 * writes anyway and the connection's ticket events stand in for the read (`closeTicketUnread`).
 */
import type { AlertOutcome } from '../workflows/ticket-messages';

export type CloseOutcome = 'closed' | 'noted_only' | 'closed_in_psa' | 'already_closed';

export interface CloseSituation {
  /** The row is marked as worked on by someone else (sticky). */
  touchedByOthers: boolean;
  /** The adapter can close without a read first. */
  canCloseUnread: boolean;
  /** The connection's ticket-event subscription is live (every change by others marks the row). */
  eventsLive: boolean;
  /** The ticket mapping names the open status, which a close left open goes back to. */
  hasOpenStatus: boolean;
}

/** How the close of an open ticket begins: without a read, or with one read of the record first. */
export function closeApproach(s: CloseSituation): 'close_unread' | 'read_first' {
  if (s.canCloseUnread && s.hasOpenStatus && !s.touchedByOthers && s.eventsLive) return 'close_unread';
  return 'read_first';
}

/**
 * What the read before the close means. Closed, and nobody else changed it since our last write:
 * an earlier attempt of this close landed but its answer was lost (`adopt`). Closed by someone
 * else: the PSA closed it. Worked on: only a note. Otherwise: close.
 */
export function closeAfterRead(check: { closed: boolean; touched: boolean }): 'adopt' | 'closed_in_psa' | 'note_only' | 'close' {
  if (check.closed) return check.touched ? 'closed_in_psa' : 'adopt';
  return check.touched ? 'note_only' : 'close';
}

/** What a close outcome records on the recovery alert. */
export function recoveryOutcome(outcome: CloseOutcome): { outcome: AlertOutcome; reason: string | null } {
  switch (outcome) {
    case 'closed':
    case 'already_closed':
      return { outcome: 'closed', reason: null };
    case 'noted_only':
      return { outcome: 'recovery_noted', reason: 'A technician has worked on the ticket; it is left open for them to close' };
    case 'closed_in_psa':
      return { outcome: 'no_open_ticket', reason: 'The ticket was already closed in the PSA' };
  }
}

const CLOSE_OF_OUTCOME = new Map<string, CloseOutcome>([
  ['closed', 'closed'],
  ['recovery_noted', 'noted_only'],
  ['no_open_ticket', 'closed_in_psa'],
]);

/** What an earlier run of the close told the workflow, from the recovery alert's recorded outcome. */
export function closeOfRecordedOutcome(outcome: string | null | undefined): CloseOutcome | undefined {
  return outcome ? CLOSE_OF_OUTCOME.get(outcome) : undefined;
}

/**
 * True when every one of `alertIds` already carries `outcome` on this ticket: the write was
 * made by an earlier run of the same call whose result never reached the workflow (a local
 * activity's worker killed before its workflow task completed, an answer lost), so it is not
 * made again.
 */
export function alreadyRecorded(recorded: readonly { id: string; outcome: string | null }[], alertIds: readonly string[], outcome: AlertOutcome): boolean {
  return alertIds.length > 0 && alertIds.every((id) => recorded.some((r) => r.id === id && r.outcome === outcome));
}

/** The token our next note on this ticket carries (marker + note number). */
export function nextNoteToken(row: { marker: string; noteCount: number }): string {
  return `${row.marker}#note-${row.noteCount + 1}`;
}

/** A note's text as written to the PSA: the token ends it, so a retry can find the note. */
export function withNoteToken(text: string, token: string): string {
  return `${text}\n(ref ${token})`;
}
