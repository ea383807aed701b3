import type { Answer, Tag } from '@earshot/shared';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { FormError } from '../../../components/form-error';
import { PickOne } from '../../../components/pickers';
import { useAction } from '../../../components/use-action';
import {
  resolveDispute,
  saveDraft,
  startEvaluation,
  submitEvaluation,
  useEvaluation,
  useEvaluations,
  usePublishedForms,
} from '../../../lib/evaluations-api';
import { useMe } from '../../../lib/session';
import { EvaluationHistory } from './evaluation-history';
import { Scorecard } from './scorecard';

const AUTOSAVE_MS = 1200;
const STATUS = {
  draft: 'Draft',
  submitted: 'Submitted',
  acknowledged: 'Acknowledged by the agent',
  disputed: 'Disputed by the agent',
} as const;

/**
 * Evaluations of a call beside its waveform: a QA reviewer starts one with a published
 * form, answers citing moments (drafts are kept as they type), submits and sees the score
 * the server computed; disputes are upheld or re-scored here.
 */
export function EvaluationPanel({
  callId,
  tags,
  playhead,
  onSeek,
}: {
  callId: string;
  tags: Tag[];
  playhead: () => number;
  onSeek(ms: number): void;
}) {
  const client = useQueryClient();
  const me = useMe().data;
  const can = me?.capabilities;
  const list = useEvaluations(`callId=${callId}`);
  const forms = usePublishedForms(!!can?.evaluate);
  const [openId, setOpenId] = useState(
    () => new URLSearchParams(window.location.search).get('evaluation') ?? undefined,
  );
  const mine = list.data?.find((e) => e.evaluator.id === me?.user.id);
  const id = openId ?? mine?.id ?? list.data?.[0]?.id;
  const evaluation = useEvaluation(id).data;
  const [formId, setFormId] = useState('');
  const [answers, setAnswers] = useState<Answer[]>([]);
  const [shown, setShown] = useState<number>();
  const { error, run, setError } = useAction();
  const [saved, setSaved] = useState<'saved' | 'saving' | 'changed' | undefined>();
  const [rescoring, setRescoring] = useState(false);
  const [reason, setReason] = useState('');
  const loaded = useRef<string | undefined>(undefined);

  useEffect(() => {
    if (!evaluation || loaded.current === `${evaluation.id}@${evaluation.revision}`) return;
    loaded.current = `${evaluation.id}@${evaluation.revision}`;
    setAnswers(evaluation.answers);
    setShown(evaluation.revision);
    setSaved(undefined);
  }, [evaluation]);

  const editable =
    !!evaluation && evaluation.evaluator.id === me?.user.id && evaluation.status === 'draft';
  // Drafts are kept as the reviewer answers: a pause saves them.
  useEffect(() => {
    if (!editable || saved !== 'changed' || !evaluation) return;
    const timer = setTimeout(() => {
      setSaved('saving');
      saveDraft(client, evaluation.id, answers).then(
        () => setSaved('saved'),
        (e: Error) => {
          setSaved('changed');
          setError(e.message);
        },
      );
    }, AUTOSAVE_MS);
    return () => clearTimeout(timer);
  }, [answers, editable, saved, evaluation, client, setError]);

  const change = (next: Answer[]) => {
    setAnswers(next);
    setSaved('changed');
    setError(undefined);
  };
  const mayResolve =
    !!evaluation &&
    evaluation.status === 'disputed' &&
    !!can?.evaluate &&
    (evaluation.evaluator.id === me?.user.id || can.qaLead);
  const revision = evaluation?.revisions.find((r) => r.revision === shown);
  const hasOwnStandard = list.data?.some((e) => e.evaluator.id === me?.user.id);

  return (
    <section className="evaluation-panel" aria-label="Evaluation">
      <div className="evaluation-head">
        <h3>Evaluation</h3>
        {(list.data?.length ?? 0) > 1 && (
          <select
            aria-label="Evaluations of this call"
            value={id ?? ''}
            onChange={(e) => setOpenId(e.target.value)}
          >
            {list.data!.map((e) => (
              <option key={e.id} value={e.id}>
                {e.evaluator.name} · {e.form.name} v{e.form.version} ·{' '}
                {e.score === null ? STATUS[e.status] : `${e.score}%`}
              </option>
            ))}
          </select>
        )}
      </div>
      {can?.evaluate && !hasOwnStandard && (!evaluation || evaluation.kind === 'standard') && (
        <form
          className="evaluation-start"
          onSubmit={(e) => {
            e.preventDefault();
            const chosen = formId || forms?.[0]?.id;
            if (chosen)
              run(async () => setOpenId((await startEvaluation(client, callId, chosen)).id));
          }}
        >
          <PickOne
            label="Form"
            inline
            options={(forms ?? []).map((f) => ({ id: f.id, name: `${f.name} (v${f.version})` }))}
            value={formId}
            onChange={setFormId}
          />
          <button type="submit" className="primary" disabled={!forms?.length}>
            Evaluate this call
          </button>
          {forms?.length === 0 && <span className="muted">No published form yet.</span>}
        </form>
      )}
      {!evaluation && !can?.evaluate && list.data?.length === 0 && (
        <p className="empty">Nobody has evaluated this call.</p>
      )}
      {evaluation && (
        <>
          <p className="muted evaluation-meta">
            {evaluation.form.name} v{evaluation.form.version} · {evaluation.evaluator.name} ·{' '}
            <span data-status={evaluation.status}>
              {evaluation.kind === 'calibration' ? 'Calibration (blind) · ' : ''}
              {STATUS[evaluation.status]}
            </span>
            {editable && saved && (
              <span className="muted" role="status">
                {' '}
                · {saved === 'saved' ? 'Draft saved' : saved === 'saving' ? 'Saving…' : 'Unsaved'}
              </span>
            )}
          </p>
          <Scorecard
            definition={evaluation.definition}
            answers={editable || rescoring ? answers : (revision?.answers ?? evaluation.answers)}
            onChange={editable || rescoring ? change : undefined}
            result={editable || rescoring ? null : (revision?.score ?? evaluation.result)}
            tags={tags}
            playhead={playhead}
            onSeek={onSeek}
          />
          <FormError error={error} />
          {editable && (
            <div className="dialog-actions">
              <button
                type="button"
                onClick={() =>
                  run(() => saveDraft(client, evaluation.id, answers).then(() => setSaved('saved')))
                }
              >
                Save draft
              </button>
              <button
                type="button"
                className="primary"
                onClick={() => {
                  // A pending autosave would only meet a submitted evaluation.
                  setSaved(undefined);
                  run(() => submitEvaluation(client, evaluation.id, answers));
                }}
              >
                Submit evaluation
              </button>
            </div>
          )}
          {mayResolve && (
            <div className="resolve">
              <textarea
                aria-label="Reason"
                placeholder="Why you uphold or re-score (the agent reads it)"
                maxLength={2000}
                value={reason}
                onChange={(e) => setReason(e.target.value)}
              />
              <div className="dialog-actions">
                {rescoring ? (
                  <>
                    <button type="button" onClick={() => setRescoring(false)}>
                      Cancel
                    </button>
                    <button
                      type="button"
                      className="primary"
                      disabled={!reason.trim()}
                      onClick={() =>
                        run(async () => {
                          await resolveDispute(client, evaluation.id, {
                            decision: 'rescore',
                            reason: reason.trim(),
                            answers,
                          });
                          setRescoring(false);
                          setReason('');
                        })
                      }
                    >
                      Submit re-score
                    </button>
                  </>
                ) : (
                  <>
                    <button
                      type="button"
                      disabled={!reason.trim()}
                      onClick={() =>
                        run(async () => {
                          await resolveDispute(client, evaluation.id, {
                            decision: 'uphold',
                            reason: reason.trim(),
                          });
                          setReason('');
                        })
                      }
                    >
                      Uphold score
                    </button>
                    <button
                      type="button"
                      className="primary"
                      onClick={() => {
                        setAnswers(evaluation.answers);
                        setRescoring(true);
                      }}
                    >
                      Re-score
                    </button>
                  </>
                )}
              </div>
            </div>
          )}
          <EvaluationHistory
            evaluation={evaluation}
            shown={shown ?? evaluation.revision}
            onShow={(r) => setShown(r.revision)}
          />
        </>
      )}
    </section>
  );
}
