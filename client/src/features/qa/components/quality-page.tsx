import type { Capabilities } from '@earshot/shared';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { FormError } from '../../../components/form-error';
import { PickMany, PickOne } from '../../../components/pickers';
import { SimpleTable } from '../../../components/simple-table';
import { initialTab, Tabs } from '../../../components/tabs';
import { useAction } from '../../../components/use-action';
import { useEvaluations } from '../../../lib/evaluations-api';
import { useOrg } from '../../../lib/org-api';
import { navigate } from '../../../lib/router';
import {
  calibrationEvaluation,
  closeCalibration,
  createCalibration,
  createPlan,
  drawPlan,
  useCalibration,
  useCalibrations,
  useEvaluators,
  useForms,
  usePlans,
  useQueue,
  useResults,
} from '../api/qa-api';
import { FormBuilder } from './form-builder';

const TABS = [
  ['queue', 'My queue', (c: Capabilities) => c.evaluate],
  ['evaluations', 'Evaluations', (c: Capabilities) => c.review],
  ['forms', 'Forms', (c: Capabilities) => c.evaluate],
  ['plans', 'Sampling', (c: Capabilities) => c.evaluate],
  ['calibration', 'Calibration', (c: Capabilities) => c.evaluate],
  ['results', 'Results', (c: Capabilities) => c.review],
] as const;
type Tab = (typeof TABS)[number][0];

const open = (callId: string, evaluationId?: string | null) =>
  navigate(`/review/${callId}${evaluationId ? `?evaluation=${evaluationId}` : ''}`);
const when = (iso: string) => new Date(iso).toLocaleString();

/** Quality: the reviewer's queue, evaluations, forms, sampling plans, calibration, results. */
export function QualityPage({ can }: { can: Capabilities }) {
  const tabs = TABS.filter(([, , allowed]) => allowed(can));
  const [tab, setTab] = useState<Tab>(() =>
    initialTab(
      tabs.map(([id, label]) => [id, label] as const),
      tabs[0]?.[0] ?? 'results',
    ),
  );
  return (
    <section className="admin quality" aria-label="Quality">
      <Tabs<Tab>
        tabs={tabs.map(([id, label]) => [id, label] as const)}
        value={tab}
        onChange={setTab}
        panelId="quality-tabpanel"
        panelClassName="admin-panel"
      >
        {tab === 'queue' ? (
          <QueuePanel />
        ) : tab === 'evaluations' ? (
          <EvaluationsPanel />
        ) : tab === 'forms' ? (
          <FormsPanel lead={can.qaLead} />
        ) : tab === 'plans' ? (
          <PlansPanel lead={can.qaLead} />
        ) : tab === 'calibration' ? (
          <CalibrationPanel lead={can.qaLead} />
        ) : (
          <ResultsPanel />
        )}
      </Tabs>
    </section>
  );
}

function QueuePanel() {
  const queue = useQueue();
  const drafts = useEvaluations('evaluator=me&status=draft');
  return (
    <>
      <h2>My queue</h2>
      {queue.isError && <FormError error={queue.error.message} />}
      {queue.data?.length === 0 && <p className="empty">Nothing drawn for you yet.</p>}
      {!!queue.data?.length && (
        <table className="review-table" aria-label="Drawn calls">
          <thead>
            <tr>
              <th>Call</th>
              <th>Agent</th>
              <th>Plan</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {queue.data.map((a) => (
              <tr key={a.id}>
                <td>
                  <button
                    type="button"
                    className="ghost"
                    onClick={() => open(a.callId, a.evaluationId)}
                  >
                    {when(a.callStartedAt)}
                  </button>
                </td>
                <td>{a.agent.name}</td>
                <td>
                  {a.planName} {a.flagged && <span className="chip label-coaching">flagged</span>}
                </td>
                <td>{a.status === 'pending' ? 'To evaluate' : a.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!!drafts.data?.length && (
        <>
          <h3>My drafts</h3>
          <ul>
            {drafts.data.map((e) => (
              <li key={e.id}>
                <button type="button" className="ghost" onClick={() => open(e.callId, e.id)}>
                  {e.agent.name} · {when(e.callStartedAt)} · {e.form.name}
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

function EvaluationsPanel() {
  const [status, setStatus] = useState('');
  const list = useEvaluations(status ? `status=${status}` : '');
  return (
    <>
      <div className="admin-head">
        <h2>Evaluations</h2>
        <span className="spacer" />
        <label className="field inline">
          <span>Status</span>
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">any</option>
            <option value="draft">draft</option>
            <option value="submitted">submitted</option>
            <option value="disputed">disputed</option>
            <option value="acknowledged">acknowledged</option>
          </select>
        </label>
      </div>
      {list.data?.length === 0 && <p className="empty">No evaluations.</p>}
      {!!list.data?.length && (
        <SimpleTable
          headings={['Call', 'Agent', 'Form', 'Evaluator', 'Score', 'Status']}
          rows={list.data.map((e) => ({
            key: e.id,
            cells: [
              <button
                key="open"
                type="button"
                className="ghost"
                onClick={() => open(e.callId, e.id)}
              >
                {when(e.callStartedAt)}
              </button>,
              e.agent.name,
              `${e.form.name} v${e.form.version}`,
              e.evaluator.name,
              e.score === null ? '—' : `${e.score}%`,
              e.status,
            ],
            className: [undefined, undefined, undefined, undefined, e.failed ? 'warn' : undefined],
          }))}
        />
      )}
    </>
  );
}

function FormsPanel({ lead }: { lead: boolean }) {
  const forms = useForms();
  const [editing, setEditing] = useState<string | 'new' | undefined>();
  if (editing)
    return (
      <FormBuilder
        id={editing === 'new' ? undefined : editing}
        onClose={() => setEditing(undefined)}
      />
    );
  return (
    <>
      <div className="admin-head">
        <h2>Forms</h2>
        <span className="spacer" />
        {lead && (
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            New form
          </button>
        )}
      </div>
      {forms.data?.length === 0 && <p className="empty">No forms yet.</p>}
      {!!forms.data?.length && (
        <table className="review-table">
          <thead>
            <tr>
              <th>Form</th>
              <th>Status</th>
              <th>Version</th>
              <th>Changed</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {forms.data.map((f) => (
              <tr key={f.id}>
                <td>
                  {f.name}
                  {f.description && <div className="muted">{f.description}</div>}
                </td>
                <td>{f.status}</td>
                <td>{f.version || '—'}</td>
                <td>{when(f.updatedAt)}</td>
                <td>
                  {lead && f.status !== 'retired' && (
                    <button type="button" onClick={() => setEditing(f.id)}>
                      Edit
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function PlansPanel({ lead }: { lead: boolean }) {
  const client = useQueryClient();
  const plans = usePlans();
  const forms = useForms();
  const org = useOrg().data;
  const evaluators = useEvaluators(lead);
  const [seed, setSeed] = useState('');
  const { error, note, run } = useAction();
  const [draft, setDraft] = useState({
    name: '',
    formId: '',
    teams: [] as string[],
    perAgent: 2,
    period: 'week' as 'day' | 'week' | 'month',
    minDurationS: 30,
    flaggedShare: '',
    evaluators: [] as string[],
  });
  const published = forms.data?.filter((f) => f.status === 'published') ?? [];
  return (
    <>
      <h2>Sampling plans</h2>
      {plans.data?.length === 0 && <p className="empty">No sampling plans yet.</p>}
      {plans.data?.map((p) => (
        <div key={p.id} className="plan">
          <h3>{p.name}</h3>
          <p className="muted">
            {p.perAgent} call{p.perAgent > 1 ? 's' : ''} per agent per {p.period} from{' '}
            {p.teams.length} team
            {p.teams.length > 1 ? 's' : ''}, at least {p.minDurationS} s,{' '}
            {p.flaggedShare === null
              ? 'every call alike'
              : `${Math.round(p.flaggedShare * 100)} % from flagged calls`}
            ; form {p.formName}; evaluators {p.evaluators.map((e) => e.name).join(', ')}
          </p>
          {p.lastDraw && (
            <p className="muted" data-seed={p.lastDraw.seed}>
              Last draw {when(p.lastDraw.drawnAt)} by {p.lastDraw.drawnBy}: {p.lastDraw.drawn} of{' '}
              {p.lastDraw.eligible} eligible calls, seed <code>{p.lastDraw.seed}</code>
              {p.lastDraw.short.length > 0 &&
                ` (${p.lastDraw.short.length} agents had fewer eligible calls than asked)`}
            </p>
          )}
          {lead && (
            <div className="builder-row">
              <input
                aria-label="Seed"
                placeholder="Seed (random when empty)"
                value={seed}
                onChange={(e) => setSeed(e.target.value)}
              />
              <button
                type="button"
                className="primary"
                onClick={() =>
                  run(async () => {
                    const d = await drawPlan(client, p.id, seed.trim());
                    return `Drew ${d.drawn} of ${d.eligible} eligible calls with seed ${d.seed}.`;
                  })
                }
              >
                Draw this {p.period}
              </button>
            </div>
          )}
        </div>
      ))}
      <FormError error={error} />
      {note && <p role="status">{note}</p>}
      {lead && (
        <form
          className="plan-form"
          onSubmit={(e) => {
            e.preventDefault();
            run(async () => {
              await createPlan(client, {
                name: draft.name,
                formId: draft.formId || published[0]?.id || '',
                teams: draft.teams,
                perAgent: draft.perAgent,
                period: draft.period,
                minDurationS: draft.minDurationS,
                flaggedShare: draft.flaggedShare === '' ? null : Number(draft.flaggedShare) / 100,
                evaluators: draft.evaluators,
              });
              return 'Plan created.';
            });
          }}
        >
          <h3>New plan</h3>
          <div className="builder-row">
            <label className="field">
              <span>Name</span>
              <input
                value={draft.name}
                onChange={(e) => setDraft({ ...draft, name: e.target.value })}
              />
            </label>
            <PickOne
              label="Form"
              options={published}
              value={draft.formId}
              onChange={(formId) => setDraft({ ...draft, formId })}
            />
            <label className="field inline">
              <span>Per agent</span>
              <input
                type="number"
                min={1}
                max={100}
                value={draft.perAgent}
                onChange={(e) => setDraft({ ...draft, perAgent: Number(e.target.value) })}
              />
            </label>
            <label className="field inline">
              <span>Per</span>
              <select
                value={draft.period}
                onChange={(e) => setDraft({ ...draft, period: e.target.value as 'week' })}
              >
                <option value="day">day</option>
                <option value="week">week</option>
                <option value="month">month</option>
              </select>
            </label>
            <label className="field inline">
              <span>Min. seconds</span>
              <input
                type="number"
                min={0}
                value={draft.minDurationS}
                onChange={(e) => setDraft({ ...draft, minDurationS: Number(e.target.value) })}
              />
            </label>
            <label className="field inline">
              <span>Flagged %</span>
              <input
                type="number"
                min={0}
                max={100}
                placeholder="none"
                value={draft.flaggedShare}
                onChange={(e) => setDraft({ ...draft, flaggedShare: e.target.value })}
              />
            </label>
          </div>
          <PickMany
            label="Teams"
            size={6}
            options={org?.teams ?? []}
            value={draft.teams}
            onChange={(teams) => setDraft({ ...draft, teams })}
          />
          <PickMany
            label="Evaluators"
            options={evaluators.data ?? []}
            value={draft.evaluators}
            onChange={(ids) => setDraft({ ...draft, evaluators: ids })}
          />
          <button type="submit" className="primary">
            Create plan
          </button>
        </form>
      )}
    </>
  );
}

function CalibrationPanel({ lead }: { lead: boolean }) {
  const client = useQueryClient();
  const sessions = useCalibrations();
  const forms = useForms();
  const evaluators = useEvaluators(lead);
  const [opened, setOpened] = useState<string>();
  const { error, run, setError } = useAction();
  const [draft, setDraft] = useState({
    name: '',
    callId: '',
    formId: '',
    expertId: '',
    evaluators: [] as string[],
  });
  const published = forms.data?.filter((f) => f.status === 'published') ?? [];
  return (
    <>
      <h2>Calibration</h2>
      {sessions.data?.length === 0 && <p className="empty">No calibration sessions.</p>}
      <ul className="calibrations">
        {sessions.data?.map((s) => (
          <li key={s.id}>
            <button type="button" className="ghost" onClick={() => setOpened(s.id)}>
              {s.name}
            </button>{' '}
            <span className="muted">
              {s.form.name} · {s.participants.filter((p) => p.submitted).length}/
              {s.participants.length} submitted
              {s.closedAt ? ' · closed' : ''}
            </span>{' '}
            {!s.closedAt && (
              <button
                type="button"
                onClick={() =>
                  run(async () => {
                    const evaluation = await calibrationEvaluation(s.id);
                    open(evaluation.callId, evaluation.id);
                  })
                }
              >
                Evaluate blind
              </button>
            )}
          </li>
        ))}
      </ul>
      <FormError error={error} />
      {opened && <CalibrationReportView id={opened} lead={lead} onError={setError} />}
      {lead && (
        <form
          className="plan-form"
          onSubmit={(e) => {
            e.preventDefault();
            run(async () => {
              const s = await createCalibration(client, {
                ...draft,
                callId: draft.callId.trim(),
                formId: draft.formId || published[0]?.id || '',
              });
              setOpened(s.id);
            });
          }}
        >
          <h3>New session</h3>
          <div className="builder-row">
            <label className="field">
              <span>Name</span>
              <input
                value={draft.name}
                onChange={(e) => setDraft({ ...draft, name: e.target.value })}
              />
            </label>
            <label className="field">
              <span>Call id</span>
              <input
                value={draft.callId}
                placeholder="from the replay page's address"
                onChange={(e) => setDraft({ ...draft, callId: e.target.value })}
              />
            </label>
            <PickOne
              label="Form"
              options={published}
              value={draft.formId}
              onChange={(formId) => setDraft({ ...draft, formId })}
            />
            <PickOne
              label="Expert (reference)"
              placeholder="Choose…"
              options={evaluators.data ?? []}
              value={draft.expertId}
              onChange={(expertId) => setDraft({ ...draft, expertId })}
            />
          </div>
          <PickMany
            label="Evaluators"
            options={evaluators.data ?? []}
            value={draft.evaluators}
            onChange={(ids) => setDraft({ ...draft, evaluators: ids })}
          />
          <button type="submit" className="primary">
            Create session
          </button>
        </form>
      )}
    </>
  );
}

function CalibrationReportView({
  id,
  lead,
  onError,
}: {
  id: string;
  lead: boolean;
  onError(e: string): void;
}) {
  const client = useQueryClient();
  const report = useCalibration(id).data;
  if (!report) return null;
  return (
    <div className="calibration-report" aria-label="Calibration report">
      <h3>
        {report.name}{' '}
        <span className="muted">{report.closedAt ? 'closed' : 'open, scored blind'}</span>
      </h3>
      <p>
        Reference ({report.participants.find((p) => p.expert)?.name}):{' '}
        {report.reference
          ? `${report.reference.score}%`
          : 'hidden until the session closes, or not submitted yet'}
      </p>
      {report.evaluators.length > 0 && (
        <table className="review-table">
          <thead>
            <tr>
              <th>Evaluator</th>
              <th>Score</th>
              <th>Deviation</th>
              <th>Mean per question</th>
              {report.questions.map((q) => (
                <th key={q.questionId} title={q.text}>
                  {q.text.slice(0, 18)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {report.evaluators.map((e) => (
              <tr key={e.id}>
                <td>{e.name}</td>
                <td>{e.score === null ? '—' : `${e.score}%`}</td>
                <td>{e.deviation === null ? '—' : `${e.deviation} pts`}</td>
                <td>{e.meanQuestionDeviation ?? '—'}</td>
                {e.questions.map((q) => (
                  <td key={q.questionId}>{q.deviation ?? '—'}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {lead && !report.closedAt && (
        <button
          type="button"
          onClick={() => closeCalibration(client, id).catch((e: Error) => onError(e.message))}
        >
          Close session and show the report
        </button>
      )}
    </div>
  );
}

function ResultsPanel() {
  const [team, setTeam] = useState('');
  const org = useOrg().data;
  const results = useResults(team ? `team=${team}` : '');
  const data = results.data;
  const trend = (points: { week: string; average: number }[]) =>
    points.map((p) => `${p.week.slice(5)}: ${p.average}%`).join(' → ');
  const pct = (n: number | null, unit = '%') => (n === null ? '—' : `${n}${unit}`);
  return (
    <>
      <div className="admin-head">
        <h2>Results</h2>
        <span className="spacer" />
        <PickOne
          label="Team"
          inline
          placeholder="All I review"
          options={org?.teams ?? []}
          value={team}
          onChange={setTeam}
        />
      </div>
      {results.isError && <FormError error={results.error.message} />}
      {data && (
        <div className="results">
          {(['agents', 'teams'] as const).map((kind) => (
            <div key={kind}>
              <h3>{kind === 'agents' ? 'Agents' : 'Teams'}</h3>
              {data[kind].length === 0 ? (
                <p className="empty">No submitted evaluations.</p>
              ) : (
                <SimpleTable
                  label={`Results by ${kind}`}
                  headings={[
                    kind === 'agents' ? 'Agent' : 'Team',
                    'Evaluations',
                    'Average',
                    'Failed',
                    'Trend by week',
                  ]}
                  rows={data[kind].map((g) => ({
                    key: g.id,
                    cells: [g.name, g.evaluations, pct(g.average), g.failed, trend(g.trend)],
                    className: [undefined, undefined, undefined, undefined, 'muted'],
                  }))}
                />
              )}
            </div>
          ))}
          <h3>Questions most often failed</h3>
          <SimpleTable
            headings={['Question', 'Answered', 'Failed', 'Failure rate']}
            rows={data.questions.map((q) => ({
              key: `${q.formId}/${q.questionId}`,
              cells: [
                q.text,
                q.answered,
                q.failed,
                pct(q.failureRate === null ? null : Math.round(q.failureRate * 100)),
              ],
            }))}
          />
          <h3>Evaluators against calibration references</h3>
          <SimpleTable
            headings={['Evaluator', 'Evaluations', 'Calibrations', 'Mean deviation']}
            rows={data.evaluators.map((e) => ({
              key: e.id,
              cells: [e.name, e.evaluations, e.calibrations, pct(e.meanDeviation, ' pts')],
            }))}
          />
        </div>
      )}
    </>
  );
}
