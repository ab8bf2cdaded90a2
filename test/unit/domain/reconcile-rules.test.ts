import { decideDrift, heldDriftAction } from '../../../domain/reconcile-rules';

const share = 0.5;

describe('decideDrift', () => {
  test('equal counts are in sync', () => {
    expect(decideDrift({ desired: 7, psa: 7, holdDropShare: share })).toEqual({ action: 'in_sync' });
    expect(decideDrift({ desired: 0, psa: 0, holdDropShare: share })).toEqual({ action: 'in_sync' });
  });

  test('a rise is repaired, however large', () => {
    expect(decideDrift({ desired: 8, psa: 7, holdDropShare: share }).action).toBe('repair');
    expect(decideDrift({ desired: 500, psa: 0, holdDropShare: share }).action).toBe('repair');
  });

  test('a drop within the share is repaired; exactly the share is still repaired', () => {
    expect(decideDrift({ desired: 6, psa: 10, holdDropShare: share }).action).toBe('repair');
    expect(decideDrift({ desired: 5, psa: 10, holdDropShare: share }).action).toBe('repair');
  });

  test('a drop beyond the share is held with a reason', () => {
    const d = decideDrift({ desired: 4, psa: 10, holdDropShare: share });
    expect(d.action).toBe('hold');
    expect(d.action === 'hold' && d.reason).toContain('from 10 to 4');
  });

  test('a count of 0 is always held, even with a share of 1', () => {
    const d = decideDrift({ desired: 0, psa: 3, holdDropShare: 1 });
    expect(d.action).toBe('hold');
    expect(d.action === 'hold' && d.reason).toContain('0 seats');
  });

  test('a share of 0 holds every drop', () => {
    expect(decideDrift({ desired: 9, psa: 10, holdDropShare: 0 }).action).toBe('hold');
  });
});

describe('heldDriftAction', () => {
  const hold = (status: 'pending' | 'approved' | 'dismissed' | 'applied' | 'superseded') => ({ status, desired: 0, psaQuantity: 10 });

  test('an unseen drift opens a hold', () => {
    expect(heldDriftAction(null, 0, 10)).toBe('open');
  });

  test('the same drift: approved is written, pending and dismissed are left alone', () => {
    expect(heldDriftAction(hold('approved'), 0, 10)).toBe('write');
    expect(heldDriftAction(hold('pending'), 0, 10)).toBe('keep');
    expect(heldDriftAction(hold('dismissed'), 0, 10)).toBe('keep');
  });

  test('a drift that changed (count or PSA) needs a new decision, even after approval', () => {
    expect(heldDriftAction(hold('approved'), 1, 10)).toBe('open');
    expect(heldDriftAction(hold('dismissed'), 0, 12)).toBe('open');
  });

  test('once applied, the same drift coming back is a new hold', () => {
    expect(heldDriftAction(hold('applied'), 0, 10)).toBe('open');
    expect(heldDriftAction(hold('superseded'), 0, 10)).toBe('open');
  });
});
