import { describe, expect, it } from 'vitest';
import { customerNumber, formatDuration } from './format';

describe('live board formatting', () => {
  it('shortens a masked customer number to its last four digits and shows a full one whole', () => {
    expect(customerNumber('+1••••••0142')).toBe('••• 0142');
    expect(customerNumber('+16125550142')).toBe('+16125550142');
    expect(customerNumber(null)).toBe('—');
  });

  it('formats durations as m:ss, and h:mm:ss past an hour', () => {
    const start = '2026-01-01T00:00:00.000Z';
    const at = (s: number) => Date.parse(start) + s * 1000;
    expect(formatDuration(start, at(5))).toBe('0:05');
    expect(formatDuration(start, at(754))).toBe('12:34');
    expect(formatDuration(start, at(3723))).toBe('1:02:03');
  });
});
