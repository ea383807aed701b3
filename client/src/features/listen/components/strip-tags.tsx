import type { Tag, TagLeg } from '@earshot/shared';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useAppStore } from '../../../app/store';
import { formatOffset } from '../../../lib/format';
import { useMe } from '../../../lib/session';
import { deleteTag, updateTag, useCallTags } from '../../../lib/tags-api';
import { heardOffsetMs, tagHeardMoment } from '../api/call-tags';
import { useLabels } from '../api/get-labels';

const LEGS: { leg: TagLeg; label: string }[] = [
  { leg: 'both', label: 'Both' },
  { leg: 'agent', label: 'Agent' },
  { leg: 'customer', label: 'Customer' },
];

function TagRow({
  tag,
  mine,
  startedAt,
}: {
  tag: Tag;
  mine: boolean;
  startedAt: string | undefined;
}) {
  const client = useQueryClient();
  const [note, setNote] = useState(tag.note ?? '');
  return (
    <li className="tag-row" data-tag-id={tag.id} data-offset-ms={tag.offsetMs}>
      <span className="mono">
        {formatOffset(tag.offsetMs)}
        {tag.endMs !== null && `–${formatOffset(tag.endMs)}`}
      </span>
      <span className={`chip label-${tag.label}`}>{tag.label}</span>
      <span className="muted">{tag.leg}</span>
      {mine ? (
        <>
          <input
            className="note"
            value={note}
            maxLength={2000}
            placeholder="Add a note"
            aria-label={`Note for the ${tag.label} tag at ${formatOffset(tag.offsetMs)}`}
            onChange={(e) => setNote(e.target.value)}
            onBlur={() =>
              note !== (tag.note ?? '') && void updateTag(client, tag.id, { note: note || null })
            }
            onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()}
          />
          {tag.endMs === null && startedAt && (
            <button
              type="button"
              className="ghost"
              title="Make this tag a range that ends at the moment you just heard"
              aria-label={`End the ${tag.label} tag here`}
              onClick={() =>
                void heardOffsetMs(tag.callId, startedAt).then(async (endMs) => {
                  if (endMs > tag.offsetMs) await updateTag(client, tag.id, { endMs });
                })
              }
            >
              ⇥
            </button>
          )}
          <button
            type="button"
            className="ghost"
            aria-label={`Delete the ${tag.label} tag`}
            onClick={() => void deleteTag(client, tag)}
          >
            ×
          </button>
        </>
      ) : (
        <span className="note muted" title={tag.note ?? ''}>
          {tag.author.name}
          {tag.note ? `: ${tag.note}` : ''}
        </span>
      )}
    </li>
  );
}

/** Tag the moment just heard with one click, and the call's tags as they come. */
export function StripTags({
  callId,
  startedAt,
}: {
  callId: string;
  startedAt: string | undefined;
}) {
  const client = useQueryClient();
  const labels = useLabels();
  const tags = useCallTags(callId);
  const me = useMe();
  const setLastLabel = useAppStore((s) => s.setLastLabel);
  const [leg, setLeg] = useState<TagLeg>('both');
  const [error, setError] = useState<string>();
  const tag = (label: string) => {
    if (!startedAt) return;
    setLastLabel(label);
    tagHeardMoment(client, callId, startedAt, label, leg).then(
      () => setError(undefined),
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
  };
  return (
    <div className="strip-tags">
      <div className="tag-bar" role="group" aria-label="Tag the moment you just heard">
        {(labels.data ?? []).map((l) => (
          <button
            key={l.name}
            type="button"
            className={`chip label-${l.name}`}
            onClick={() => tag(l.name)}
            aria-label={`Tag ${l.name}`}
          >
            {l.name}
          </button>
        ))}
        <span className="segmented" role="radiogroup" aria-label="Which leg the tag is about">
          {LEGS.map((x) => (
            <button
              key={x.leg}
              type="button"
              role="radio"
              aria-checked={leg === x.leg}
              onClick={() => setLeg(x.leg)}
            >
              {x.label}
            </button>
          ))}
        </span>
      </div>
      {error && <p className="strip-message bad">{error}</p>}
      {(tags.data?.length ?? 0) > 0 && (
        <ul className="tag-list" aria-label="Tags on this call">
          {[...(tags.data ?? [])].reverse().map((t) => (
            <TagRow
              key={`${t.id}:${t.updatedAt}`}
              tag={t}
              mine={t.author.id === me.data?.user.id}
              startedAt={startedAt}
            />
          ))}
        </ul>
      )}
    </div>
  );
}
