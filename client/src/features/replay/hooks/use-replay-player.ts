import { rmsToLevel } from '@earshot/shared';
import { useCallback, useEffect, useRef, useState } from 'react';

export interface Peaks {
  /** Per pixel column: the largest absolute sample, 0..1. */
  left: Float32Array;
  right: Float32Array;
  durationMs: number;
}

const COLUMNS = 1200;

function peaksOf(data: Float32Array): Float32Array {
  const out = new Float32Array(COLUMNS);
  const per = Math.max(1, Math.floor(data.length / COLUMNS));
  for (let c = 0; c < COLUMNS; c++) {
    let max = 0;
    for (let i = c * per; i < Math.min(data.length, (c + 1) * per); i++)
      max = Math.max(max, Math.abs(data[i]!));
    out[c] = max;
  }
  return out;
}

/**
 * Plays a call's stereo recording (agent left, customer right) through WebAudio so that
 * each leg can be muted or soloed, at 0.5x-2x, and plays segments (a tag and the seconds
 * around it). Also decodes the recording once for the waveform.
 */
export function useReplayPlayer(callId: string) {
  const url = `/api/v1/calls/${encodeURIComponent(callId)}/recording`;
  const [peaks, setPeaks] = useState<Peaks>();
  const [error, setError] = useState<string>();
  const [playing, setPlaying] = useState(false);
  const [rate, setRateState] = useState(1);
  const [legs, setLegs] = useState({ agent: true, customer: true });
  const audio = useRef<HTMLAudioElement | null>(null);
  const graph = useRef<{
    ctx: AudioContext;
    left: GainNode;
    right: GainNode;
    out: AnalyserNode;
  } | null>(null);
  const stopAt = useRef<number | null>(null);
  const buffer = useRef(new Float32Array(1024));

  useEffect(() => {
    const element = new Audio(url);
    element.preload = 'auto';
    audio.current = element;
    const onPlay = () => setPlaying(true);
    const onPause = () => setPlaying(false);
    const onTime = () => {
      if (stopAt.current !== null && element.currentTime >= stopAt.current) {
        element.pause();
        stopAt.current = null;
      }
    };
    const onError = () => setError('The recording could not be loaded.');
    element.addEventListener('play', onPlay);
    element.addEventListener('pause', onPause);
    element.addEventListener('timeupdate', onTime);
    element.addEventListener('error', onError);
    let cancelled = false;
    fetch(url)
      .then((r) => {
        if (!r.ok) throw new Error(`the recording answered ${r.status}`);
        return r.arrayBuffer();
      })
      .then((bytes) => new OfflineAudioContext(2, 8000, 8000).decodeAudioData(bytes))
      .then((decoded) => {
        if (cancelled) return;
        setPeaks({
          left: peaksOf(decoded.getChannelData(0)),
          right: peaksOf(decoded.getChannelData(decoded.numberOfChannels > 1 ? 1 : 0)),
          durationMs: decoded.duration * 1000,
        });
      })
      .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
      element.pause();
      element.removeAttribute('src');
      void graph.current?.ctx.close();
      graph.current = null;
    };
  }, [url]);

  /** Builds the WebAudio graph on first play (inside the user's gesture). */
  const ensureGraph = useCallback(() => {
    const element = audio.current;
    if (!element || graph.current) return;
    const ctx = new AudioContext();
    const source = ctx.createMediaElementSource(element);
    const split = ctx.createChannelSplitter(2);
    const merge = ctx.createChannelMerger(2);
    const left = ctx.createGain();
    const right = ctx.createGain();
    const out = ctx.createAnalyser();
    out.fftSize = 1024;
    source.connect(split);
    split.connect(left, 0).connect(merge, 0, 0);
    split.connect(right, 1).connect(merge, 0, 1);
    merge.connect(out);
    merge.connect(ctx.destination);
    graph.current = { ctx, left, right, out };
  }, []);

  useEffect(() => {
    const g = graph.current;
    if (!g) return;
    g.left.gain.value = legs.agent ? 1 : 0;
    g.right.gain.value = legs.customer ? 1 : 0;
  }, [legs, playing]);

  const play = useCallback(
    (fromMs?: number, toMs?: number) => {
      const element = audio.current;
      if (!element) return;
      ensureGraph();
      void graph.current?.ctx.resume();
      if (fromMs !== undefined) element.currentTime = fromMs / 1000;
      stopAt.current = toMs === undefined ? null : toMs / 1000;
      void element
        .play()
        .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
    },
    [ensureGraph],
  );

  const pause = useCallback(() => audio.current?.pause(), []);
  const seek = useCallback((ms: number) => {
    const element = audio.current;
    if (element) element.currentTime = Math.max(0, ms / 1000);
  }, []);
  const seekBy = useCallback((ms: number) => {
    const element = audio.current;
    if (element) element.currentTime = Math.max(0, element.currentTime + ms / 1000);
  }, []);
  const setRate = useCallback((next: number) => {
    const clamped = Math.min(2, Math.max(0.5, next));
    if (audio.current) audio.current.playbackRate = clamped;
    setRateState(clamped);
  }, []);

  return {
    url,
    peaks,
    error,
    playing,
    rate,
    legs,
    setLegs,
    play,
    pause,
    seek,
    seekBy,
    setRate,
    /** Where playback is (ms). */
    position: () => (audio.current?.currentTime ?? 0) * 1000,
    /** Loudness (0..1) of what is playing, both legs as heard. */
    outputLevel: () => {
      const g = graph.current;
      if (!g || !playing) return 0;
      g.out.getFloatTimeDomainData(buffer.current);
      let sum = 0;
      for (const x of buffer.current) sum += x * x;
      return rmsToLevel(Math.sqrt(sum / buffer.current.length));
    },
  };
}

export type ReplayPlayer = ReturnType<typeof useReplayPlayer>;
