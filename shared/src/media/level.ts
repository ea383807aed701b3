// How loud a stretch of audio is, as a meter reading both the server and the console use.

/** Readings at or below this many dBFS show as 0. */
export const LEVEL_FLOOR_DBFS = -60;

/** Maps an RMS value (0..1 of full scale) to a meter reading 0..1, linear in dB. */
export function rmsToLevel(rms: number): number {
  if (!(rms > 0)) return 0;
  const dbfs = 20 * Math.log10(rms);
  return Math.max(0, Math.min(1, 1 - dbfs / LEVEL_FLOOR_DBFS));
}
