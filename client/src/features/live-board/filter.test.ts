import { describe, expect, it } from 'vitest';
import { call } from '../../test/calls';
import { EMPTY_FILTER, filterCalls } from './filter';

const calls = [
  call('a1', '2026-11-23T10:00:05.000Z'),
  call('b2', '2026-11-23T10:00:01.000Z', {
    center: 'ny-brooklyn',
    region: 'new-york-city',
    team: 'brooklyn-care-1',
  }),
  call('c3', '2026-11-23T10:00:03.000Z', {
    agent: { id: 'kolsen', name: 'Kari Olsen' },
    externalId: 'ACD-77',
  }),
];

describe('board filter', () => {
  it('sorts by duration, longest first by default', () => {
    expect(filterCalls(calls, EMPTY_FILTER).map((c) => c.id)).toEqual(['b2', 'c3', 'a1']);
    expect(filterCalls(calls, { ...EMPTY_FILTER, sort: 'shortest' }).map((c) => c.id)).toEqual([
      'a1',
      'c3',
      'b2',
    ]);
  });

  it('filters by center, region, team and agent', () => {
    expect(filterCalls(calls, { ...EMPTY_FILTER, center: 'ny-brooklyn' }).map((c) => c.id)).toEqual(
      ['b2'],
    );
    expect(
      filterCalls(calls, { ...EMPTY_FILTER, region: 'upper-midwest' }).map((c) => c.id),
    ).toEqual(['c3', 'a1']);
    expect(
      filterCalls(calls, { ...EMPTY_FILTER, team: 'brooklyn-care-1' }).map((c) => c.id),
    ).toEqual(['b2']);
    expect(filterCalls(calls, { ...EMPTY_FILTER, agent: 'kolsen' }).map((c) => c.id)).toEqual([
      'c3',
    ]);
  });

  it('searches agent names and ids, call ids and external ids', () => {
    expect(filterCalls(calls, { ...EMPTY_FILTER, search: 'olsen' }).map((c) => c.id)).toEqual([
      'c3',
    ]);
    expect(filterCalls(calls, { ...EMPTY_FILTER, search: 'A1' }).map((c) => c.id)).toEqual(['a1']);
    expect(filterCalls(calls, { ...EMPTY_FILTER, search: 'acd-77' }).map((c) => c.id)).toEqual([
      'c3',
    ]);
    expect(filterCalls(calls, { ...EMPTY_FILTER, search: 'nobody' })).toEqual([]);
  });
});
