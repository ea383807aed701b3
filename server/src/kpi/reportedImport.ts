// Reported figures as people keep them: a CSV of scope, metric, window, value and source,
// with places by name or id and values in percent, seconds or m:ss as well as the API's
// fractions and milliseconds.
import {
  KpiScope,
  KpiWindow,
  ReportableMetric,
  type FieldIssue,
  type Org,
  type ReportedKpiRequest,
} from '@earshot/shared';
import { parse } from 'csv-parse/sync';

/** Rows one import may hold. */
export const MAX_IMPORT_ROWS = 2000;

const PERCENT_METRICS = new Set<string>([
  'serviceLevel',
  'abandonRate',
  'occupancy',
  'holdRate',
  'transferRate',
]);

/** A scope id, or the name of a region, center or team ("Duluth, MN"), or "org". */
export function resolveScope(raw: string, org: Org): string | undefined {
  const text = raw.trim();
  if (KpiScope.safeParse(text).success) return text;
  const name = text.toLowerCase();
  if (['org', 'organisation', 'organization', 'all centers', 'all'].includes(name)) return 'org';
  const byName = <T extends { id: string; name: string }>(list: T[]) =>
    list.find((x) => x.name.toLowerCase() === name);
  const center = byName(org.centers);
  if (center) return `center:${center.id}`;
  const region = byName(org.regions);
  if (region) return `region:${region.id}`;
  const team = byName(org.teams);
  if (team) return `team:${team.id}`;
  return undefined;
}

/**
 * A value as written: "82%" or 0.82 for a share; "45 s", "4:30" or milliseconds for a
 * time; a plain number otherwise.
 */
export function parseValue(metric: string, raw: string): number | undefined {
  const text = raw.trim().replace(',', '.');
  if (PERCENT_METRICS.has(metric)) {
    const m = /^(-?\d+(?:\.\d+)?)\s*%$/.exec(text);
    if (m) return Number(m[1]) / 100;
  }
  if (metric.endsWith('Ms')) {
    const clock = /^(\d+):([0-5]\d)$/.exec(text);
    if (clock) return (Number(clock[1]) * 60 + Number(clock[2])) * 1000;
    const seconds = /^(\d+(?:\.\d+)?)\s*s$/.exec(text);
    if (seconds) return Number(seconds[1]) * 1000;
  }
  if (!/^-?\d+(?:\.\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/** The rows of a CSV import, or what is wrong with each line that is wrong. */
export function parseReportedCsv(
  csv: string,
  org: Org,
): { ok: true; rows: ReportedKpiRequest[] } | { ok: false; issues: FieldIssue[] } {
  let records: string[][];
  try {
    records = parse(csv, {
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
      bom: true,
      to: MAX_IMPORT_ROWS + 2,
    }) as string[][];
  } catch (error) {
    return {
      ok: false,
      issues: [{ path: 'csv', message: error instanceof Error ? error.message : String(error) }],
    };
  }
  const header = (records[0] ?? []).map((h) => h.toLowerCase());
  const column = (name: string) => header.indexOf(name);
  const missing = ['scope', 'metric', 'window', 'value'].filter((c) => column(c) === -1);
  if (missing.length)
    return {
      ok: false,
      issues: [
        {
          path: 'line 1',
          message: `the header must name scope, metric, window, value (and optionally source); missing ${missing.join(', ')}`,
        },
      ],
    };
  const body = records.slice(1);
  if (body.length === 0)
    return { ok: false, issues: [{ path: 'csv', message: 'no rows after the header' }] };
  if (body.length > MAX_IMPORT_ROWS)
    return {
      ok: false,
      issues: [{ path: 'csv', message: `at most ${MAX_IMPORT_ROWS} rows in one import` }],
    };
  const rows: ReportedKpiRequest[] = [];
  const issues: FieldIssue[] = [];
  body.forEach((record, i) => {
    const line = `line ${i + 2}`;
    const cell = (name: string) => record[column(name)] ?? '';
    const scope = resolveScope(cell('scope'), org);
    if (!scope) return issues.push({ path: line, message: `no place named "${cell('scope')}"` });
    const metricText = cell('metric');
    const metric = ReportableMetric.options.find(
      (m) => m.toLowerCase() === metricText.toLowerCase(),
    );
    if (!metric)
      return issues.push({
        path: line,
        message: `"${metricText}" is not a metric that can be reported (${ReportableMetric.options.join(', ')})`,
      });
    const window = KpiWindow.safeParse(cell('window').toLowerCase());
    if (!window.success)
      return issues.push({ path: line, message: 'window must be 30m, 1h or today' });
    const value = parseValue(metric, cell('value'));
    if (value === undefined || !Number.isFinite(value))
      return issues.push({
        path: line,
        message: `"${cell('value')}" is not a value for ${metric}`,
      });
    const source = column('source') === -1 ? '' : cell('source').slice(0, 80);
    rows.push({ scope, metric, window: window.data, value, ...(source ? { source } : {}) });
    return undefined;
  });
  return issues.length ? { ok: false, issues } : { ok: true, rows };
}
