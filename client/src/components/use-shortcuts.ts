import { useEffect, useRef } from 'react';

/**
 * Calls `handle` for plain key presses (no modifier, not while typing in a field or a
 * dialog). `handle` returns true when it used the key, which then does nothing else.
 */
export function useShortcuts(handle: (e: KeyboardEvent) => boolean): void {
  const latest = useRef(handle);
  useEffect(() => {
    latest.current = handle;
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (target?.closest('input, select, textarea, [role="dialog"]')) return;
      if (latest.current(e)) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
