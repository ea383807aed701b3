import type { Call, Tag } from '@earshot/shared';
import { useEffect, useRef } from 'react';
import { DISCREPANCY_SHORT, episodeSpan } from '../../../lib/discrepancies';
import { formatOffset } from '../../../lib/format';
import type { Peaks } from '../hooks/use-replay-player';

interface Props {
  peaks: Peaks;
  tags: Tag[];
  /** Stretches where the audio disagreed with the ACD, shown as bands. */
  episodes?: Call['episodes'];
  position: () => number;
  onSeek(ms: number): void;
  onTag(tag: Tag): void;
}

const LANE = 56;
const STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800];

/** Ticks for a time axis of `durationMs`: at most about ten, on round seconds. */
export function axisTicks(durationMs: number): number[] {
  const seconds = durationMs / 1000;
  const step = STEPS_S.find((s) => seconds / s <= 10) ?? 3600;
  const ticks: number[] = [];
  for (let t = 0; t <= seconds; t += step) ticks.push(t * 1000);
  return ticks;
}

/** m:ss, for the axis. */
const mmss = (ms: number) => {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

/** Two lanes (agent above, customer below) with the tags as markers and a playhead. */
export function Waveform({ peaks, tags, episodes = [], position, onSeek, onTag }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const head = useRef<HTMLDivElement>(null);
  const clock = useRef<HTMLSpanElement>(null);

  useEffect(() => {
    const c = canvas.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    const style = getComputedStyle(c);
    const width = (c.width = peaks.left.length);
    c.height = LANE * 2;
    ctx.clearRect(0, 0, width, LANE * 2);
    const lanes: [Float32Array, string, number][] = [
      [peaks.left, style.getPropertyValue('--agent') || '#5aa9e6', 0],
      [peaks.right, style.getPropertyValue('--customer') || '#e6a85a', LANE],
    ];
    for (const [data, color, top] of lanes) {
      ctx.fillStyle = color;
      for (let x = 0; x < width; x++) {
        const h = Math.max(1, data[x]! * (LANE - 6));
        ctx.fillRect(x, top + LANE / 2 - h / 2, 1, h);
      }
    }
  }, [peaks]);

  useEffect(() => {
    let frame = 0;
    const move = () => {
      const at = position();
      if (head.current) head.current.style.left = `${(at / peaks.durationMs) * 100}%`;
      if (clock.current) clock.current.textContent = formatOffset(at);
      frame = requestAnimationFrame(move);
    };
    frame = requestAnimationFrame(move);
    return () => cancelAnimationFrame(frame);
  }, [position, peaks.durationMs]);

  const pct = (ms: number) => `${Math.min(100, (ms / peaks.durationMs) * 100)}%`;
  return (
    <div className="waveform">
      <div className="lane-labels">
        <span className="agent">Agent</span>
        <span className="customer">Customer</span>
      </div>
      <div
        className="wave"
        onClick={(e) => {
          const box = e.currentTarget.getBoundingClientRect();
          onSeek(((e.clientX - box.left) / box.width) * peaks.durationMs);
        }}
      >
        {episodes.map((e) => (
          <div
            key={`${e.kind}-${e.fromMs}`}
            className="episode-band"
            style={{
              left: pct(e.fromMs),
              width: pct((e.toMs ?? peaks.durationMs) - e.fromMs),
            }}
            title={`${DISCREPANCY_SHORT[e.kind]} ${episodeSpan(e)}`}
          />
        ))}
        <canvas ref={canvas} aria-label="Waveform of both legs" />
        {tags.map((tag) => (
          <button
            key={tag.id}
            type="button"
            className={`marker label-${tag.label}${tag.endMs ? ' range' : ''}`}
            style={{
              left: pct(tag.offsetMs),
              width: tag.endMs ? `calc(${pct(tag.endMs - tag.offsetMs)} + 2px)` : undefined,
            }}
            title={`${tag.label} at ${formatOffset(tag.offsetMs)}${tag.note ? `: ${tag.note}` : ''}`}
            aria-label={`Marker ${tag.label} at ${formatOffset(tag.offsetMs)}`}
            onClick={(e) => {
              e.stopPropagation();
              onTag(tag);
            }}
          />
        ))}
        <div ref={head} className="playhead" />
      </div>
      <div className="axis" aria-hidden="true">
        {axisTicks(peaks.durationMs).map((t) => (
          <span key={t} style={{ left: pct(t) }}>
            {mmss(t)}
          </span>
        ))}
      </div>
      <p className="clock mono">
        <span ref={clock} aria-label="Current time">
          0:00.0
        </span>{' '}
        / <span aria-label="Duration">{formatOffset(peaks.durationMs)}</span>
      </p>
    </div>
  );
}
