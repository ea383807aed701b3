import { useEffect, useRef } from 'react';

/**
 * A level meter that reads `read()` every animation frame and paints itself directly,
 * so that live levels never re-render React trees.
 */
export function Meter({
  read,
  label,
  className,
}: {
  read: () => number;
  label: string;
  className?: string;
}) {
  const host = useRef<HTMLSpanElement>(null);
  const bar = useRef<HTMLSpanElement>(null);
  const readRef = useRef(read);
  useEffect(() => {
    readRef.current = read;
  });
  useEffect(() => {
    let frame = 0;
    let shown = -1;
    const paint = () => {
      const level = Math.max(0, Math.min(1, readRef.current()));
      const rounded = Math.round(level * 100) / 100;
      if (rounded !== shown && bar.current && host.current) {
        shown = rounded;
        bar.current.style.transform = `scaleX(${rounded})`;
        host.current.setAttribute('aria-valuenow', String(rounded));
        host.current.dataset.active = rounded > 0.05 ? 'true' : 'false';
      }
      frame = requestAnimationFrame(paint);
    };
    frame = requestAnimationFrame(paint);
    return () => cancelAnimationFrame(frame);
  }, []);
  return (
    <span
      ref={host}
      className={`meter ${className ?? ''}`}
      role="meter"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={1}
      aria-valuenow={0}
    >
      <span ref={bar} />
    </span>
  );
}
