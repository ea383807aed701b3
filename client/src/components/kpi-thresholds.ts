import type { KpiMetrics } from '@earshot/shared';

export type ShownMetric =
  | 'serviceLevel'
  | 'asaMs'
  | 'abandonRate'
  | 'ahtMs'
  | 'occupancy'
  | 'holdRate'
  | 'csat'
  | 'queueDepth'
  | 'longestWaitMs'
  | 'activeCalls'
  | 'talkRatio'
  | 'silenceShare'
  | 'discrepancies';

/** A metric is green on the good side of `green`, amber up to `amber`, red beyond. */
export interface Threshold {
  green: number;
  amber: number;
  /** True when bigger is better. */
  higherIsBetter: boolean;
  /** Where lower is better, a value below this is amber all the same (occupancy: idle staff). */
  lowAmber?: number;
}

/** How people write a metric's thresholds: percent, seconds, or as it is. */
export type Unit = 'percent' | 'seconds' | 'plain';
export const UNIT_SUFFIX: Record<Unit, string> = { percent: '%', seconds: 's', plain: '' };
/** A stored value as typed in its unit, and back. */
export const toUnit = (unit: Unit, v: number) =>
  unit === 'percent' ? Math.round(v * 1000) / 10 : unit === 'seconds' ? v / 1000 : v;
export const fromUnit = (unit: Unit, v: number) =>
  unit === 'percent' ? v / 100 : unit === 'seconds' ? v * 1000 : v;

export const METRICS: {
  key: ShownMetric;
  label: string;
  format(v: number): string;
  threshold?: Threshold;
  unit: Unit;
}[] = [
  {
    key: 'serviceLevel',
    unit: 'percent',
    label: 'Service level',
    format: (v) => `${Math.round(v * 100)}%`,
    threshold: { green: 0.8, amber: 0.7, higherIsBetter: true },
  },
  {
    key: 'asaMs',
    unit: 'seconds',
    label: 'ASA',
    format: (v) => `${Math.round(v / 1000)} s`,
    threshold: { green: 20_000, amber: 40_000, higherIsBetter: false },
  },
  {
    key: 'abandonRate',
    unit: 'percent',
    label: 'Abandoned',
    format: (v) => `${(v * 100).toFixed(1)}%`,
    threshold: { green: 0.05, amber: 0.1, higherIsBetter: false },
  },
  {
    key: 'ahtMs',
    unit: 'seconds',
    label: 'AHT',
    format: (v) =>
      `${Math.floor(v / 60_000)}:${String(Math.round((v % 60_000) / 1000)).padStart(2, '0')}`,
    threshold: { green: 360_000, amber: 480_000, higherIsBetter: false },
  },
  {
    key: 'occupancy',
    unit: 'percent',
    label: 'Occupancy',
    format: (v) => `${Math.round(v * 100)}%`,
    threshold: { green: 0.88, amber: 0.93, higherIsBetter: false, lowAmber: 0.6 },
  },
  {
    key: 'holdRate',
    unit: 'percent',
    label: 'Hold rate',
    format: (v) => `${Math.round(v * 100)}%`,
  },
  {
    key: 'csat',
    unit: 'plain',
    label: 'CSAT',
    format: (v) => v.toFixed(2),
    threshold: { green: 4, amber: 3.5, higherIsBetter: true },
  },
  { key: 'queueDepth', unit: 'plain', label: 'In queue', format: (v) => String(v) },
  {
    key: 'longestWaitMs',
    unit: 'seconds',
    label: 'Longest wait',
    format: (v) => `${Math.round(v / 1000)} s`,
    threshold: { green: 30_000, amber: 60_000, higherIsBetter: false },
  },
  { key: 'activeCalls', unit: 'plain', label: 'Active', format: (v) => String(v) },
  {
    key: 'talkRatio',
    unit: 'percent',
    label: 'Agent talk',
    format: (v) => `${Math.round(v * 100)}%`,
    threshold: { green: 0.6, amber: 0.75, higherIsBetter: false },
  },
  {
    key: 'silenceShare',
    unit: 'percent',
    label: 'Silence',
    format: (v) => `${Math.round(v * 100)}%`,
    threshold: { green: 0.25, amber: 0.4, higherIsBetter: false },
  },
  {
    key: 'discrepancies',
    unit: 'plain',
    label: 'Discrepancies',
    format: (v) => String(v),
    threshold: { green: 0, amber: 2, higherIsBetter: false },
  },
];

/** green / amber / red, or none without a value or a threshold. */
export function status(
  value: number | null,
  threshold: Threshold | undefined,
): 'green' | 'amber' | 'red' | 'none' {
  if (value === null || !threshold) return 'none';
  const better = (a: number, b: number) => (threshold.higherIsBetter ? a >= b : a <= b);
  if (threshold.lowAmber !== undefined && value < threshold.lowAmber) return 'amber';
  if (better(value, threshold.green)) return 'green';
  if (better(value, threshold.amber)) return 'amber';
  return 'red';
}

export const valueOf = (metrics: KpiMetrics, key: ShownMetric): number | null => metrics[key];
