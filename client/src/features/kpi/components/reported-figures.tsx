import type { KpiWindow, Org, ReportableMetric } from '@earshot/shared';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { FormError } from '../../../components/form-error';
import { fromUnit, type Unit, UNIT_SUFFIX } from '../../../components/kpi-thresholds';
import { enterReported, importReported, useReportedFigures } from '../../../lib/kpi-api';
import { useOrg } from '../../../lib/org-api';
import { byName } from '../../../lib/scope';

/** The figures staff report, by name and in the unit people write them in. */
const REPORTABLE: { key: ReportableMetric; label: string; unit: Unit }[] = [
  { key: 'serviceLevel', label: 'Service level', unit: 'percent' },
  { key: 'asaMs', label: 'ASA', unit: 'seconds' },
  { key: 'abandonRate', label: 'Abandoned', unit: 'percent' },
  { key: 'ahtMs', label: 'AHT', unit: 'seconds' },
  { key: 'occupancy', label: 'Occupancy', unit: 'percent' },
  { key: 'holdRate', label: 'Hold rate', unit: 'percent' },
  { key: 'avgHoldMs', label: 'Average hold', unit: 'seconds' },
  { key: 'transferRate', label: 'Transfer rate', unit: 'percent' },
  { key: 'csat', label: 'CSAT', unit: 'plain' },
  { key: 'offered', label: 'Offered', unit: 'plain' },
  { key: 'answered', label: 'Answered', unit: 'plain' },
  { key: 'abandoned', label: 'Abandoned calls', unit: 'plain' },
  { key: 'talkRatio', label: 'Agent talk', unit: 'percent' },
  { key: 'silenceShare', label: 'Silence', unit: 'percent' },
];
const WINDOWS: [KpiWindow, string][] = [
  ['today', 'Today'],
  ['1h', 'Last hour'],
  ['30m', 'Last 30 minutes'],
];

/** A scope as people read it. */
function scopeName(org: Org | undefined, scope: string): string {
  if (scope === 'org') return 'All centers';
  const [kind, id] = scope.split(':') as [string, string];
  const list =
    kind === 'center'
      ? org?.centers
      : kind === 'region'
        ? org?.regions
        : kind === 'team'
          ? org?.teams
          : undefined;
  return list?.find((x) => x.id === id)?.name ?? scope;
}

function shown(metric: ReportableMetric, value: number): string {
  const unit = REPORTABLE.find((m) => m.key === metric)?.unit ?? 'plain';
  if (unit === 'percent') return `${(value * 100).toFixed(1)} %`;
  if (unit === 'seconds') return `${Math.round(value / 1000)} s`;
  return String(Math.round(value * 100) / 100);
}

/**
 * What staff report, beside what Earshot measures: an executive or an admin enters a
 * figure for a place and period, or imports a CSV of them (all rows or none).
 */
export function ReportedFigures() {
  const client = useQueryClient();
  const org = useOrg().data;
  const figures = useReportedFigures();
  const [scope, setScope] = useState('org');
  const [metric, setMetric] = useState<ReportableMetric>('serviceLevel');
  const [window, setWindow] = useState<KpiWindow>('today');
  const [value, setValue] = useState('');
  const [source, setSource] = useState('');
  const [csv, setCsv] = useState('');
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const unit = REPORTABLE.find((m) => m.key === metric)!.unit;
  const run = async (work: () => Promise<string>) => {
    setError(undefined);
    setDone(undefined);
    try {
      setDone(await work());
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <details className="reported-figures">
      <summary>Reported figures</summary>
      <form
        className="reported-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const number = Number(value.replace(',', '.'));
            if (value.trim() === '' || !Number.isFinite(number))
              throw new Error(
                `value: must be a number${UNIT_SUFFIX[unit] ? ` in ${UNIT_SUFFIX[unit]}` : ''}`,
              );
            await enterReported(client, {
              scope,
              metric,
              window,
              value: fromUnit(unit, number),
              ...(source.trim() ? { source: source.trim() } : {}),
            });
            setValue('');
            return `Saved: ${REPORTABLE.find((m) => m.key === metric)!.label} for ${scopeName(org, scope)}.`;
          });
        }}
      >
        <label className="field">
          <span>Place</span>
          <select value={scope} onChange={(e) => setScope(e.target.value)}>
            <option value="org">All centers</option>
            <optgroup label="Regions">
              {[...(org?.regions ?? [])].sort(byName).map((r) => (
                <option key={r.id} value={`region:${r.id}`}>
                  {r.name}
                </option>
              ))}
            </optgroup>
            <optgroup label="Centers">
              {[...(org?.centers ?? [])].sort(byName).map((c) => (
                <option key={c.id} value={`center:${c.id}`}>
                  {c.name}
                </option>
              ))}
            </optgroup>
            <optgroup label="Teams">
              {[...(org?.teams ?? [])].sort(byName).map((t) => (
                <option key={t.id} value={`team:${t.id}`}>
                  {t.name}
                </option>
              ))}
            </optgroup>
          </select>
        </label>
        <label className="field">
          <span>Metric</span>
          <select value={metric} onChange={(e) => setMetric(e.target.value as ReportableMetric)}>
            {REPORTABLE.map((m) => (
              <option key={m.key} value={m.key}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Period</span>
          <select value={window} onChange={(e) => setWindow(e.target.value as KpiWindow)}>
            {WINDOWS.map(([w, label]) => (
              <option key={w} value={w}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Value{UNIT_SUFFIX[unit] ? ` (${UNIT_SUFFIX[unit]})` : ''}</span>
          <input inputMode="decimal" value={value} onChange={(e) => setValue(e.target.value)} />
        </label>
        <label className="field">
          <span>Source</span>
          <input
            value={source}
            maxLength={80}
            placeholder="e.g. staff meeting"
            onChange={(e) => setSource(e.target.value)}
          />
        </label>
        <button type="submit" className="primary">
          Save figure
        </button>
      </form>
      <div className="reported-import">
        <label className="field">
          <span>
            Import a CSV: scope, metric, window, value, source (places by name, 82%, 4:30)
          </span>
          <textarea
            value={csv}
            rows={4}
            placeholder={
              'scope,metric,window,value,source\nDuluth, MN,serviceLevel,today,82%,staff meeting'
            }
            onChange={(e) => setCsv(e.target.value)}
          />
        </label>
        <input
          type="file"
          accept=".csv,text/csv"
          aria-label="CSV file"
          onChange={(e) => void e.target.files?.[0]?.text().then(setCsv)}
        />
        <button
          type="button"
          disabled={!csv.trim()}
          onClick={() =>
            void run(async () => {
              const stored = await importReported(client, csv);
              setCsv('');
              return `Imported ${stored} figures.`;
            })
          }
        >
          Import
        </button>
      </div>
      <FormError error={error} />
      {done && (
        <p className="muted" role="status">
          {done}
        </p>
      )}
      {figures.data && figures.data.length > 0 && (
        <table className="reported-table">
          <thead>
            <tr>
              <th>Place</th>
              <th>Metric</th>
              <th>Period</th>
              <th>Reported</th>
              <th>Source</th>
              <th>When</th>
            </tr>
          </thead>
          <tbody>
            {figures.data.slice(0, 200).map((f) => (
              <tr key={`${f.scope}|${f.metric}|${f.window}`}>
                <td>{scopeName(org, f.scope)}</td>
                <td>{REPORTABLE.find((m) => m.key === f.metric)?.label ?? f.metric}</td>
                <td>{WINDOWS.find(([w]) => w === f.window)?.[1] ?? f.window}</td>
                <td className="mono">{shown(f.metric, f.value)}</td>
                <td>{f.source ?? '—'}</td>
                <td>{new Date(f.at).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}
