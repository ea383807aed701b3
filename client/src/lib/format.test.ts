import { describe, expect, it } from 'vitest';
import { formatDuration } from './format';

describe('live board formatting', () => {
  it('formats durations as m:ss, and h:mm:ss past an hour', () => {
    const start = '2026-01-01T00:00:00.000Z';
    const at = (s: number) => Date.parse(start) + s * 1000;
    expect(formatDuration(start, at(5))).toBe('0:05');
    expect(formatDuration(start, at(754))).toBe('12:34');
    expect(formatDuration(start, at(3723))).toBe('1:02:03');
  });
});
