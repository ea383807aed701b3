import { describe, expect, it } from 'vitest';
import { fromUnit, status, toUnit } from './kpi-thresholds';

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
    // Occupancy is amber when too high, and when so low that staff sit idle.
    const occupancy = { green: 0.88, amber: 0.93, higherIsBetter: false, lowAmber: 0.6 };
    expect(status(0.8, occupancy)).toBe('green');
    expect(status(0.02, occupancy)).toBe('amber');
    expect(status(0.95, occupancy)).toBe('red');
  });

  it('thresholds are typed in the units people use', () => {
    expect(toUnit('percent', 0.8)).toBe(80);
    expect(fromUnit('percent', 80)).toBe(0.8);
    expect(toUnit('seconds', 20_000)).toBe(20);
    expect(fromUnit('seconds', 20)).toBe(20_000);
    expect(toUnit('plain', 4)).toBe(4);
  });
});
