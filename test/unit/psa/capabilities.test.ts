/**
 * What each vendor can do is data on its adapter factory, the same the pure rules read; it
 * agrees with the vendor's mapping forms.
 */
import { adapterFactories } from '../../../psa/registry';
import { capabilitiesOf } from '../../../psa/capabilities';
import { PSA_KINDS } from '../../../psa/core/types';
import { CONNECTWISE_FIELDS } from '../../../psa/connectwise';
import { AUTOTASK_FIELDS } from '../../../psa/autotask';
import { HALO_FIELDS } from '../../../psa/halopsa';
import { seatSyncSwitchedOff } from '../../../domain/rules';

const FIELDS = { connectwise: CONNECTWISE_FIELDS, autotask: AUTOTASK_FIELDS, halopsa: HALO_FIELDS };

describe.each(PSA_KINDS)('%s', (psa) => {
  const capabilities = adapterFactories[psa].capabilities;

  test('the factory and the pure table hold the same capabilities', () => {
    expect(capabilitiesOf(psa)).toBe(capabilities);
  });

  test('plans are mapped exactly where the plan form has fields, and only then come first', () => {
    expect(capabilities.planMapping).toBe(FIELDS[psa].plan.length > 0);
    if (capabilities.planBeforeOrganization) expect(capabilities.planMapping).toBe(true);
  });

  test('the seat-sync switch, where there is one, is a yes/no field of the ticket form', () => {
    const name = capabilities.seatSyncSwitch;
    if (name === null) {
      expect(FIELDS[psa].ticket.some((f) => f.type === 'boolean')).toBe(false);
      expect(seatSyncSwitchedOff(psa, { anything: 'false' })).toBeNull();
      return;
    }
    expect(FIELDS[psa].ticket.find((f) => f.name === name)?.type).toBe('boolean');
    expect(seatSyncSwitchedOff(psa, { [name]: 'false' })).toMatch(/switched off/);
    expect(seatSyncSwitchedOff(psa, { [name]: 'true' })).toBeNull();
    expect(seatSyncSwitchedOff(psa, null)).toBeNull();
  });
});
