import type { Tag } from '@earshot/shared';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Meter } from '../../../components/meter';
import { useShortcuts } from '../../../components/use-shortcuts';
import { ApiError } from '../../../lib/api-fetch';
import { formatOffset, customerNumber } from '../../../lib/format';
import { useOrg } from '../../../lib/org-api';
import { navigate } from '../../../lib/router';
import { placeName } from '../../../lib/scope';
import { updateTag, useCallTags } from '../../../lib/tags-api';
import { useCall } from '../../../lib/calls-api';
import { addComment, setCallReviewed, useReview } from '../api/review';
import { useReplayPlayer } from '../hooks/use-replay-player';
import { EvaluationPanel } from './evaluation-panel';
import { Waveform } from './waveform';

const SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 2];

/** One recorded call: both legs, its tags, segment play, review marks and comments. */
export function ReplayView({ callId }: { callId: string }) {
  const client = useQueryClient();
  const call = useCall(callId);
  const tags = useCallTags(callId);
  const review = useReview(callId);
  const player = useReplayPlayer(callId);
  const org = useOrg().data;
  const [before, setBefore] = useState(3);
  const [after, setAfter] = useState(3);
  const [comment, setComment] = useState('');
  const [current, setCurrent] = useState<string>();
  const list = tags.data ?? [];
  // Opened at a tag (from coaching): the playhead waits there, the tag is the current one.
  const openedAt = useRef(new URLSearchParams(window.location.search).get('tag'));
  const { peaks, seek } = player;
  useEffect(() => {
    const tag = tags.data?.find((t) => t.id === openedAt.current);
    if (!tag || !peaks) return;
    openedAt.current = null;
    setCurrent(tag.id);
    seek(Math.max(0, tag.offsetMs - before * 1000));
  }, [tags.data, peaks, seek, before]);

  const playTag = useCallback(
    (tag: Tag) => {
      setCurrent(tag.id);
      player.play(
        Math.max(0, tag.offsetMs - before * 1000),
        (tag.endMs ?? tag.offsetMs) + after * 1000,
      );
    },
    [player, before, after],
  );
  const step = (direction: 1 | -1) => {
    const index = list.findIndex((t) => t.id === current);
    const next = list[index === -1 ? (direction === 1 ? 0 : list.length - 1) : index + direction];
    if (next) playTag(next);
  };
  const solo = (leg: 'agent' | 'customer') =>
    player.setLegs((l) =>
      l[leg] && !l[leg === 'agent' ? 'customer' : 'agent']
        ? { agent: true, customer: true }
        : { agent: leg === 'agent', customer: leg === 'customer' },
    );

  useShortcuts((e) => {
    if (e.key === ' ') player[player.playing ? 'pause' : 'play']();
    else if (e.key === 'ArrowRight') player.seekBy(5000);
    else if (e.key === 'ArrowLeft') player.seekBy(-5000);
    else if (e.key === 'n') step(1);
    else if (e.key === 'p') step(-1);
    else if (e.key === ']')
      player.setRate(SPEEDS[Math.min(SPEEDS.length - 1, SPEEDS.indexOf(player.rate) + 1)]!);
    else if (e.key === '[') player.setRate(SPEEDS[Math.max(0, SPEEDS.indexOf(player.rate) - 1)]!);
    else if (e.key === '1') solo('agent');
    else if (e.key === '2') solo('customer');
    else if (e.key === 'r' && review.data)
      void setCallReviewed(client, callId, !review.data.reviewedAt);
    else return false;
    return true;
  });

  const reviewed = !!review.data?.reviewedAt;
  const back = (
    <button type="button" className="ghost" onClick={() => navigate('/review')}>
      ← Recordings
    </button>
  );
  if (call.isError)
    return (
      <section className="replay" aria-label="Replay">
        <header className="replay-head">
          {back}
          <h2>Recording unavailable</h2>
        </header>
        <p className="empty error">
          {call.error instanceof ApiError && call.error.status === 404
            ? 'There is no call with this link. It may have been mistyped, or its recording deleted after the retention period.'
            : call.error instanceof ApiError && call.error.status === 403
              ? 'This call is outside what you may review.'
              : `The recording could not be loaded: ${call.error.message}`}
        </p>
      </section>
    );
  return (
    <div className="replay-split">
      <section className="replay" aria-label="Replay">
        <header className="replay-head">
          {back}
          <h2>
            {call.data
              ? `${call.data.agent.name} · ${placeName(org, 'teams', call.data.team)} · ${customerNumber(call.data.customer.number)}`
              : 'Recording'}
          </h2>
          <span className="muted">
            {call.data && new Date(call.data.startedAt).toLocaleString()}
          </span>
          <span className="spacer" />
          <button
            type="button"
            className="toggle"
            aria-pressed={reviewed}
            onClick={() => void setCallReviewed(client, callId, !reviewed)}
          >
            {reviewed ? `Reviewed by ${review.data?.reviewedBy}` : 'Mark call reviewed'}
          </button>
          <a className="button ghost" href={`${player.url}?download=1`} download>
            Download call
          </a>
        </header>
        {player.error && <p className="empty error">{player.error}</p>}
        {!player.peaks && !player.error && <p className="empty">Loading the recording…</p>}
        {player.peaks && (
          <Waveform
            peaks={player.peaks}
            tags={list}
            episodes={call.data?.episodes}
            position={player.position}
            onSeek={(ms) => player.play(ms)}
            onTag={playTag}
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
          <button
            type="button"
            className="toggle"
            aria-pressed={player.legs.agent && !player.legs.customer}
            onClick={() => solo('agent')}
            title="Hear the agent only"
          >
            Solo agent
          </button>
          <button
            type="button"
            className="toggle"
            aria-pressed={player.legs.customer && !player.legs.agent}
            onClick={() => solo('customer')}
            title="Hear the customer only"
          >
            Solo customer
          </button>
          <button
            type="button"
            className="toggle"
            aria-pressed={!player.legs.agent}
            onClick={() => player.setLegs((l) => ({ ...l, agent: !l.agent }))}
          >
            Mute agent
          </button>
          <button
            type="button"
            className="toggle"
            aria-pressed={!player.legs.customer}
            onClick={() => player.setLegs((l) => ({ ...l, customer: !l.customer }))}
          >
            Mute customer
          </button>
          <label className="field inline">
            <span>Speed</span>
            <select
              value={player.rate}
              onChange={(e) => player.setRate(Number(e.target.value))}
              aria-label="Playback speed"
            >
              {SPEEDS.map((s) => (
                <option key={s} value={s}>
                  {s}x
                </option>
              ))}
            </select>
          </label>
          <label className="field inline">
            <span>Before (s)</span>
            <input
              type="number"
              min={0}
              max={30}
              value={before}
              onChange={(e) => setBefore(Number(e.target.value))}
              aria-label="Seconds before a tag"
            />
          </label>
          <label className="field inline">
            <span>After (s)</span>
            <input
              type="number"
              min={0}
              max={30}
              value={after}
              onChange={(e) => setAfter(Number(e.target.value))}
              aria-label="Seconds after a tag"
            />
          </label>
          <Meter read={player.outputLevel} label="Replay output" />
        </div>
        <div className="replay-body">
          <div>
            <h3>Tags</h3>
            {list.length === 0 ? (
              <p className="empty">No tags on this call.</p>
            ) : (
              <ul className="replay-tags">
                {list.map((tag) => (
                  <li
                    key={tag.id}
                    data-tag-id={tag.id}
                    data-offset-ms={tag.offsetMs}
                    aria-current={tag.id === current}
                  >
                    <button
                      type="button"
                      className="ghost"
                      onClick={() => playTag(tag)}
                      aria-label={`Play ${tag.label} at ${formatOffset(tag.offsetMs)}`}
                    >
                      ▶
                    </button>
                    <span className="mono">
                      {formatOffset(tag.offsetMs)}
                      {tag.endMs ? `–${formatOffset(tag.endMs)}` : ''}
                    </span>
                    <span className={`chip label-${tag.label}`}>{tag.label}</span>
                    <span className="muted">{tag.leg}</span>
                    <span className="note">
                      {tag.author.name}
                      {tag.note ? `: ${tag.note}` : ''}
                    </span>
                    <button
                      type="button"
                      className="toggle"
                      aria-pressed={!!tag.reviewedAt}
                      onClick={() => void updateTag(client, tag.id, { reviewed: !tag.reviewedAt })}
                    >
                      {tag.reviewedAt ? 'Reviewed' : 'Mark reviewed'}
                    </button>
                    <a
                      className="button ghost"
                      download
                      href={`${player.url}?from=${Math.max(0, tag.offsetMs - before * 1000)}&to=${(tag.endMs ?? tag.offsetMs) + after * 1000}&download=1`}
                    >
                      WAV clip
                    </a>
                  </li>
                ))}
              </ul>
            )}
          </div>
          <div>
            <h3>Comments</h3>
            <ul className="comments">
              {(review.data?.comments ?? []).map((c) => (
                <li key={c.id}>
                  <strong>{c.author.name}</strong>{' '}
                  <span className="muted">{new Date(c.createdAt).toLocaleString()}</span>
                  <p>{c.body}</p>
                </li>
              ))}
            </ul>
            <form
              onSubmit={(e) => {
                e.preventDefault();
                if (!comment.trim()) return;
                void addComment(client, callId, comment.trim(), current).then(() => setComment(''));
              }}
            >
              <textarea
                value={comment}
                onChange={(e) => setComment(e.target.value)}
                maxLength={4000}
                placeholder="Add a comment for the coach"
                aria-label="Comment"
              />
              <button type="submit" className="primary" disabled={!comment.trim()}>
                Comment
              </button>
            </form>
          </div>
        </div>
        <p className="shortcuts muted">
          <kbd>Space</kbd> play · <kbd>n</kbd>/<kbd>p</kbd> next/previous tag · <kbd>←</kbd>/
          <kbd>→</kbd> 5 s · <kbd>[</kbd>/<kbd>]</kbd> speed · <kbd>1</kbd>/<kbd>2</kbd> solo ·{' '}
          <kbd>r</kbd> reviewed
        </p>
      </section>
      <EvaluationPanel
        callId={callId}
        tags={list}
        playhead={player.position}
        onSeek={(ms) => player.play(ms)}
      />
    </div>
  );
}
