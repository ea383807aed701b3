import type { Call } from '@earshot/shared';
import { formatOffset } from './format';

type Discrepancy = Call['flags'][number];

/** What a discrepancy means, in a sentence. */
export const DISCREPANCY_TEXT: Record<Discrepancy, string> = {
  'held-but-talking': 'The ACD says on hold, yet both sides are talking',
  'dead-air': 'The ACD says talking, but nobody has spoken for 30 s',
};

/** A discrepancy in a word or two, for a board row. */
export const DISCREPANCY_SHORT: Record<Discrepancy, string> = {
  'held-but-talking': 'Talking on hold',
  'dead-air': 'Dead air',
};

/** An episode's span in call time: "1:05.0 – 1:22.5 (18 s)", or "since 1:05.0". */
export function episodeSpan(episode: Call['episodes'][number]): string {
  if (episode.toMs === null) return `since ${formatOffset(episode.fromMs)}`;
  const seconds = Math.max(1, Math.round((episode.toMs - episode.fromMs) / 1000));
  return `${formatOffset(episode.fromMs)} – ${formatOffset(episode.toMs)} (${seconds} s)`;
}
