import { describe, expect, it } from 'vitest';
import { call } from '../../test/calls';
import { pickNext, type Played } from './listening-hour-pick';

const calls = [
  call('a', '2026-12-01T10:00:00Z', { center: 'mn-duluth' }),
  call('b', '2026-12-01T09:00:00Z', { center: 'mn-st-paul', discrepancies: 2 }),
  call('c', '2026-12-01T10:30:00Z', { center: 'mn-duluth', team: 'duluth-care-1' }),
  call('d', '2026-12-01T08:00:00Z', { center: 'mn-rochester', state: 'ringing' }),
];
const heard = (id: string, center: string, region = 'upper-midwest'): Played => ({
  callId: id,
  title: id,
  center,
  region,
  startedAt: 0,
});
const first = () => 0;

describe('the listening hour picks the next call', () => {
  it('the longest live call not yet heard (a ringing one is not a call yet)', () => {
    expect(pickNext(calls, 'longest', 'org', [], [])?.id).toBe('b');
    expect(pickNext(calls, 'longest', 'org', [heard('b', 'mn-st-paul')], [])?.id).toBe('a');
  });

  it('alerts first, then discrepancies, then any', () => {
    expect(pickNext(calls, 'flagged', 'org', [], [], new Set(['c']), first)?.id).toBe('c');
    expect(pickNext(calls, 'flagged', 'org', [], [], new Set(), first)?.id).toBe('b');
    expect(
      pickNext(calls, 'flagged', 'org', [heard('b', 'mn-st-paul')], [], new Set(), first)?.id,
    ).toBe('a');
  });

  it('one center at a time, in turn, skipping centers with no call', () => {
    const order = ['mn-duluth', 'mn-rochester', 'mn-st-paul'];
    expect(
      pickNext(calls, 'centers', 'org', [heard('a', 'mn-duluth')], order, new Set(), first)?.id,
    ).toBe('b');
    expect(
      pickNext(calls, 'centers', 'org', [heard('b', 'mn-st-paul')], order, new Set(), first)?.id,
    ).toBe('a');
  });

  it('one region at a time, in turn', () => {
    const mixed = [
      ...calls,
      call('e', '2026-12-01T10:10:00Z', { region: 'new-york-city', center: 'ny-brooklyn' }),
    ];
    const regions = ['new-york-city', 'upper-midwest'];
    const afterMn = pickNext(
      mixed,
      'regions',
      'org',
      [heard('a', 'mn-duluth')],
      [],
      new Set(),
      first,
      regions,
    );
    expect(afterMn?.id).toBe('e');
    const afterNy = pickNext(
      mixed,
      'regions',
      'org',
      [heard('e', 'ny-brooklyn', 'new-york-city')],
      [],
      new Set(),
      first,
      regions,
    );
    expect(afterNy?.region).toBe('upper-midwest');
  });

  it('within its scope, and nothing once every call was heard', () => {
    expect(pickNext(calls, 'random', 'team:duluth-care-1', [], [], new Set(), first)?.id).toBe('c');
    expect(
      pickNext(calls, 'random', 'center:mn-st-paul', [heard('b', 'mn-st-paul')], []),
    ).toBeUndefined();
  });
});
