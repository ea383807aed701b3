import type { Tag } from '@earshot/shared';
import { useEffect, useRef } from 'react';
import { formatOffset } from '../../../lib/format';
import type { Peaks } from '../hooks/use-replay-player';

interface Props {
  peaks: Peaks;
  tags: Tag[];
  position: () => number;
  onSeek(ms: number): void;
  onTag(tag: Tag): void;
}

const LANE = 56;

/** Two lanes (agent above, customer below) with the tags as markers and a playhead. */
export function Waveform({ peaks, tags, position, onSeek, onTag }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const head = useRef<HTMLDivElement>(null);

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
      if (head.current) head.current.style.left = `${(position() / peaks.durationMs) * 100}%`;
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
    </div>
  );
}
