import { describe, expect, it } from 'vitest';
import { status } from './kpi-thresholds';

describe('KPI thresholds', () => {
  it('colours a metric by which side of its thresholds it is on', () => {
    const sl = { green: 0.8, amber: 0.7, higherIsBetter: true };
    expect(status(0.85, sl)).toBe('green');
    expect(status(0.75, sl)).toBe('amber');
    expect(status(0.5, sl)).toBe('red');
    const asa = { green: 20_000, amber: 40_000, higherIsBetter: false };
    expect(status(15_000, asa)).toBe('green');
    expect(status(30_000, asa)).toBe('amber');
    expect(status(60_000, asa)).toBe('red');
    expect(status(null, asa)).toBe('none');
    expect(status(3, undefined)).toBe('none');
  });
});
