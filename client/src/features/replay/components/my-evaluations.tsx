import type { Evaluation } from '@earshot/shared';
import { useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { FormError } from '../../../components/form-error';
import { SimpleTable } from '../../../components/simple-table';
import { useAction } from '../../../components/use-action';
import { Meter } from '../../../components/meter';
import { useNow } from '../../../components/use-now';
import { ApiError } from '../../../lib/api-fetch';
import {
  acknowledgeEvaluation,
  disputeEvaluation,
  useEvaluation,
  useEvaluations,
  useQaSettings,
} from '../../../lib/evaluations-api';
import { formatOffset } from '../../../lib/format';
import { navigate } from '../../../lib/router';
import { useReplayPlayer } from '../hooks/use-replay-player';
import { EvaluationHistory } from './evaluation-history';
import { Scorecard } from './scorecard';
import { Waveform } from './waveform';

const STATUS = {
  draft: 'Draft',
  submitted: 'Waiting for you',
  acknowledged: 'Acknowledged',
  disputed: 'Disputed',
} as const;

/** An agent's own evaluations, newest first. */
export function MyEvaluations() {
  const list = useEvaluations();
  const settings = useQaSettings().data;
  return (
    <section className="my-evaluations" aria-label="My evaluations">
      <div className="admin-head">
        <h2>My evaluations</h2>
        {settings && (
          <span className="muted">
            You may dispute an evaluation within {settings.disputeWindowDays} day
            {settings.disputeWindowDays === 1 ? '' : 's'} of it, {settings.maxDisputes} time
            {settings.maxDisputes === 1 ? '' : 's'} at most.
          </span>
        )}
      </div>
      {list.isPending ? (
        <p className="muted">Loading…</p>
      ) : list.isError ? (
        <p className="form-error">{list.error.message}</p>
      ) : list.data.length === 0 ? (
        <p className="empty">No evaluations of your calls yet.</p>
      ) : (
        <SimpleTable
          headings={['Call', 'Form', 'Score', 'Status', 'Evaluator']}
          rows={list.data.map((e) => ({
            key: e.id,
            cells: [
              <a
                key="open"
                href={`/my/${e.id}`}
                onClick={(ev) => {
                  ev.preventDefault();
                  navigate(`/my/${e.id}`);
                }}
              >
                {new Date(e.callStartedAt).toLocaleString()}
              </a>,
              `${e.form.name} v${e.form.version}`,
              `${e.score === null ? '—' : `${e.score}%`}${e.failed ? ' (failed)' : ''}`,
              e.openDispute ? 'Disputed' : STATUS[e.status],
              e.evaluator.name,
            ],
            className: [undefined, undefined, e.failed ? 'warn' : undefined],
          }))}
        />
      )}
    </section>
  );
}

/** One of the agent's evaluations: the call's recording, the scorecard, sign-off or dispute. */
export function MyEvaluation({ id }: { id: string }) {
  const query = useEvaluation(id);
  const back = (
    <button type="button" className="ghost" onClick={() => navigate('/my')}>
      ← My evaluations
    </button>
  );
  if (query.isError)
    return (
      <section className="replay" aria-label="Evaluation">
        <header className="replay-head">{back}</header>
        <p className="empty error">
          {query.error instanceof ApiError && query.error.status === 403
            ? 'This evaluation is not yours to see.'
            : query.error.message}
        </p>
      </section>
    );
  if (!query.data) return <p className="empty">Loading…</p>;
  return <EvaluatedCall evaluation={query.data} back={back} />;
}

function EvaluatedCall({ evaluation, back }: { evaluation: Evaluation; back: ReactNode }) {
  const client = useQueryClient();
  const player = useReplayPlayer(evaluation.callId);
  const [shown, setShown] = useState<number>();
  const [comment, setComment] = useState('');
  const { error, run } = useAction();
  const now = useNow(30_000);
  const revision = evaluation.revisions.find((r) => r.revision === (shown ?? evaluation.revision));
  const canDispute =
    evaluation.status === 'submitted' &&
    evaluation.disputesLeft > 0 &&
    (!evaluation.disputeUntil || Date.parse(evaluation.disputeUntil) > now);
  return (
    <div className="replay-split">
      <section className="replay" aria-label="Evaluated call">
        <header className="replay-head">
          {back}
          <h2>Your call of {new Date(evaluation.callStartedAt).toLocaleString()}</h2>
        </header>
        {player.error && <p className="empty error">{player.error}</p>}
        {player.peaks && (
          <Waveform
            peaks={player.peaks}
            tags={evaluation.tags}
            position={player.position}
            onSeek={(ms) => player.play(ms)}
            onTag={(tag) => player.play(Math.max(0, tag.offsetMs - 2000))}
          />
        )}
        <div className="transport">
          <button
            type="button"
            className="primary"
            onClick={() => (player.playing ? player.pause() : player.play())}
          >
            {player.playing ? 'Pause' : 'Play'}
          </button>
          <Meter read={player.outputLevel} label="Replay output" />
        </div>
        <div className="my-notes">
          <h3>Notes for you</h3>
          {evaluation.tags.length === 0 ? (
            <p className="muted">No coaching notes on this call.</p>
          ) : (
            <ul className="replay-tags">
              {evaluation.tags.map((tag) => (
                <li key={tag.id}>
                  <button
                    type="button"
                    className="ghost"
                    onClick={() => player.play(Math.max(0, tag.offsetMs - 2000))}
                    aria-label={`Play ${tag.label} at ${formatOffset(tag.offsetMs)}`}
                  >
                    ▶
                  </button>
                  <span className="mono">{formatOffset(tag.offsetMs)}</span>
                  <span className={`chip label-${tag.label}`}>{tag.label}</span>
                  <span className="note">
                    {tag.author.name}
                    {tag.note ? `: ${tag.note}` : ''}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </div>
      </section>
      <section className="evaluation-panel" aria-label="Evaluation">
        <h3>
          {evaluation.form.name} <span className="muted">by {evaluation.evaluator.name}</span>
        </h3>
        <p className="muted" data-status={evaluation.status}>
          {STATUS[evaluation.status]}
          {evaluation.disputeUntil &&
            evaluation.status === 'submitted' &&
            ` · dispute until ${new Date(evaluation.disputeUntil).toLocaleString()}`}
        </p>
        <Scorecard
          definition={evaluation.definition}
          answers={revision?.answers ?? evaluation.answers}
          result={revision?.score ?? evaluation.result}
          tags={evaluation.tags}
          onSeek={(ms) => player.play(ms)}
        />
        <FormError error={error} />
        {evaluation.status === 'submitted' && (
          <div className="resolve">
            <button
              type="button"
              className="primary"
              onClick={() => run(() => acknowledgeEvaluation(client, evaluation.id))}
            >
              Acknowledge
            </button>
            {canDispute && (
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  run(async () => {
                    await disputeEvaluation(client, evaluation.id, comment.trim());
                    setComment('');
                  });
                }}
              >
                <textarea
                  aria-label="What you dispute"
                  placeholder="What you dispute, and where in the call"
                  maxLength={2000}
                  value={comment}
                  onChange={(e) => setComment(e.target.value)}
                />
                <button type="submit" disabled={!comment.trim()}>
                  Dispute ({evaluation.disputesLeft} left)
                </button>
              </form>
            )}
          </div>
        )}
        <EvaluationHistory
          evaluation={evaluation}
          shown={shown ?? evaluation.revision}
          onShow={(r) => setShown(r.revision)}
        />
      </section>
    </div>
  );
}
