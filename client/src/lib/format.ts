/**
 * A customer number as the server gives it (masked unless the user's role needs it), a
 * masked one shortened to its last four digits.
 */
export const customerNumber = (n: string | null): string => {
  if (!n) return '—';
  return n.includes('•') ? `••• ${n.replace(/\D/g, '').slice(-4)}` : n;
};

/** A call-time offset as m:ss.t (tenths), for tags. */
export function formatOffset(ms: number): string {
  const tenths = Math.floor(ms / 100);
  const s = Math.floor(tenths / 10);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}.${tenths % 10}`;
}

/** Elapsed time since `startedAt` as m:ss (h:mm:ss past an hour). */
export function formatDuration(startedAt: string, now = Date.now()): string {
  return formatElapsed(now - Date.parse(startedAt));
}

/** A length of time in ms as m:ss (h:mm:ss past an hour). */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const mmss = `${Math.floor((s % 3600) / 60)}:${String(s % 60).padStart(2, '0')}`;
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mmss.padStart(5, '0')}` : mmss;
}
