import { useCallback, useState } from 'react';

/**
 * A button's work and what came of it: `run` clears the last outcome, runs the work, and
 * keeps its error's message, or the note it resolves with (a string to show, if any).
 */
export function useAction() {
  const [error, setError] = useState<string>();
  const [note, setNote] = useState<string>();
  const run = useCallback((work: () => Promise<unknown>) => {
    setError(undefined);
    setNote(undefined);
    work().then(
      (result) => setNote(typeof result === 'string' ? result : undefined),
      (e: Error) => setError(e.message),
    );
  }, []);
  return { error, note, run, setError };
}
