/** The pure rules of device sync (domain/devices.ts). */
import {
  DEFAULT_DEVICE_SYNC_SETTINGS,
  changedFields,
  companyOfMapping,
  configurationWriteOf,
  deviceName,
  deviceTypeValue,
  firstImportLinks,
  isNewer,
  loginCandidates,
  mappedValues,
  renderLink,
  repeatedSources,
  repeatedTargets,
  sourceValue,
  syncTargetOf,
  type DeviceReport,
} from '../../../domain/devices';
import type { PsaConfiguration } from '../../../psa/core/configurations';

const device = (over: Partial<DeviceReport> = {}): DeviceReport => ({ deviceId: 'd1', nodeClass: 'WINDOWS_SERVER', systemName: 'SRV-01', serialNumber: 'SN1', updatedAt: '2026-12-01T00:00:00Z', ...over });
const record = (over: Partial<PsaConfiguration> = {}): PsaConfiguration => ({
  id: '10',
  deviceId: null,
  companyId: '1',
  siteId: null,
  typeId: '5',
  name: 'SRV-01',
  serialNumber: 'SN1',
  active: true,
  lastModified: null,
  link: null,
  contactId: null,
  values: {},
  ...over,
});

test('only a strictly newer report replaces the stored one', () => {
  expect(isNewer('2026-12-01T00:00:01Z', '2026-12-01T00:00:00Z')).toBe(true);
  expect(isNewer('2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z')).toBe(false);
  expect(isNewer('2026-11-30T00:00:00Z', '2026-12-01T00:00:00Z')).toBe(false);
  expect(isNewer('2026-11-30T00:00:00Z', null)).toBe(true);
});

test('each platform field is mapped at most once, each PSA field written at most once', () => {
  const m = [
    { source: 'os', target: 'field:osInfo', onlyFillEmpty: false },
    { source: 'os', target: 'custom:1', onlyFillEmpty: false },
    { source: 'model', target: 'custom:1', onlyFillEmpty: false },
  ];
  expect(repeatedSources(m)).toEqual(['os']);
  expect(repeatedTargets(m)).toEqual(['custom:1']);
  expect(repeatedSources(m.slice(0, 1))).toEqual([]);
});

test('name falls back from system name to DNS name to display name to device id; type from the configured source', () => {
  expect(deviceName(device())).toBe('SRV-01');
  expect(deviceName(device({ systemName: ' ', dnsName: 'srv.example' }))).toBe('srv.example');
  expect(deviceName(device({ systemName: null }))).toBe('d1');
  expect(deviceTypeValue(device({ deviceType: 'Server' }), 'deviceType')).toBe('Server');
  expect(deviceTypeValue(device(), 'deviceType')).toBeNull();
  expect(deviceTypeValue(device(), 'nodeClass')).toBe('WINDOWS_SERVER');
});

test('source values: platform custom fields and the software list as text', () => {
  const d = device({ customFields: { Rack: 'B2' }, software: [{ name: 'Agent', version: '1.2' }, { name: 'Office' }] });
  expect(sourceValue(d, 'custom:Rack')).toBe('B2');
  expect(sourceValue(d, 'custom:None')).toBeNull();
  expect(sourceValue(d, 'software')).toBe('Agent 1.2\nOffice');
  expect(sourceValue(d, 'os')).toBeNull();
});

test('"only fill empty fields" keeps a value the PSA holds, fills an empty one, and reports what the record cannot tell', () => {
  const mappings = [
    { source: 'os', target: 'field:osInfo', onlyFillEmpty: true },
    { source: 'model', target: 'field:modelNumber', onlyFillEmpty: true },
    { source: 'manufacturer', target: 'custom:3', onlyFillEmpty: true },
    { source: 'dnsName', target: 'custom:4', onlyFillEmpty: false },
  ];
  const d = device({ os: 'Windows Server 2022', model: 'R740', manufacturer: 'Dell', dnsName: 'srv.example' });
  const current = record({ values: { 'field:osInfo': 'typed by a technician', 'field:modelNumber': null, 'custom:4': 'old' } });
  expect(mappedValues(d, mappings, current)).toEqual({ values: { 'field:modelNumber': 'R740', 'custom:4': 'srv.example' }, unknown: ['custom:3'] });
  // A new configuration: everything is empty.
  expect(mappedValues(d, mappings, undefined).values).toEqual({ 'field:osInfo': 'Windows Server 2022', 'field:modelNumber': 'R740', 'custom:3': 'Dell', 'custom:4': 'srv.example' });
});

test('the link template is filled in with URL-encoded values', () => {
  expect(renderLink('https://portal.example/o/{organizationId}/devices/{deviceId}', { deviceId: 'a b/c', organizationId: 'o1', partnerId: 'p' })).toBe('https://portal.example/o/o1/devices/a%20b%2Fc');
  expect(renderLink(null, { deviceId: 'x', organizationId: 'o', partnerId: 'p' })).toBeNull();
});

test('an unmapped organization goes to the default company/site or is skipped with the reason', () => {
  expect(syncTargetOf('7', DEFAULT_DEVICE_SYNC_SETTINGS)).toEqual({ companyId: '7', siteId: null });
  expect(syncTargetOf(null, DEFAULT_DEVICE_SYNC_SETTINGS)).toEqual({ skip: expect.stringContaining('not mapped') });
  expect(syncTargetOf(null, { ...DEFAULT_DEVICE_SYNC_SETTINGS, unmappedOrganizations: { mode: 'default', companyId: '9', siteId: '3' } })).toEqual({ companyId: '9', siteId: '3' });
  expect(companyOfMapping({ company: '250', agreement: '1' })).toBe('250');
  expect(companyOfMapping({ customer: '101' })).toBe('101');
  expect(companyOfMapping(null)).toBeNull();
});

test('an update sends only what differs from the record as last seen; an unchanged device sends nothing', () => {
  const write = configurationWriteOf(device(), { target: { companyId: '1', siteId: null }, typeId: '5', link: null, contactId: null, mappings: [] });
  expect(changedFields(write, record({ deviceId: 'd1' }))).toEqual({});
  expect(changedFields({ ...write, name: 'SRV-02' }, record({ deviceId: 'd1' }))).toEqual({ name: 'SRV-02' });
  expect(changedFields(write, record({ deviceId: 'd1', active: false }))).toEqual({ active: true });
  expect(changedFields(write, record())).toEqual({ deviceId: 'd1' });
});

describe('first import', () => {
  const devices = [
    { deviceId: 'd1', serialNumber: 'SN1', name: 'SRV-01' },
    { deviceId: 'd2', serialNumber: 'SN2', name: 'PC-02' },
    { deviceId: 'd3', serialNumber: 'SN3', name: 'PC-03' },
    { deviceId: 'd4', serialNumber: null, name: 'PC-04' },
  ];
  test('our device id first, then the match field, case-insensitive', () => {
    const records = [record({ id: '1', deviceId: 'D1', serialNumber: 'zzz' }), record({ id: '2', serialNumber: 'sn2' }), record({ id: '3', serialNumber: 'SN1' })];
    const links = firstImportLinks(devices, records, 'serialNumber');
    expect(links.get('d1')).toEqual({ record: expect.objectContaining({ id: '1' }) });
    expect(links.get('d2')).toEqual({ record: expect.objectContaining({ id: '2' }) });
    expect(links.has('d3')).toBe(false);
    expect(links.has('d4')).toBe(false);
  });
  test('without a match field only our device id links', () => {
    const links = firstImportLinks(devices, [record({ id: '2', serialNumber: 'SN2' })], null);
    expect(links.size).toBe(0);
  });
  test('two configurations with the same value link nothing, with the reason', () => {
    const links = firstImportLinks(devices, [record({ id: '2', name: 'pc-02' }), record({ id: '5', name: 'PC-02' })], 'name');
    expect(links.get('d2')).toEqual({ reason: expect.stringContaining('2 PSA configurations match name "PC-02"') });
  });
  test('a record carrying one of our device ids is not taken by a name twin; a foreign id (asset tag) does not stop a match', () => {
    expect(firstImportLinks(devices, [record({ id: '7', name: 'PC-02', deviceId: 'd3' })], 'name').get('d2')).toBeUndefined();
    expect(firstImportLinks(devices, [record({ id: '7', name: 'PC-02', deviceId: 'TAG-7' })], 'name').get('d2')).toEqual({ record: expect.objectContaining({ id: '7' }) });
  });
  test('a record already linked to another device is not linked again', () => {
    expect(firstImportLinks(devices, [record({ id: '7', name: 'PC-02' })], 'name', new Set(['7'])).size).toBe(0);
  });
});

test('user matching candidates: whole value, then the part after the backslash', () => {
  expect(loginCandidates('HL-LPT-00112\\Tim Bowers')).toEqual(['HL-LPT-00112\\Tim Bowers', 'Tim Bowers']);
  expect(loginCandidates('tim')).toEqual(['tim']);
});
