// Listening, outside React: the mediasoup-client Device, one receive transport per call,
// a consumer per leg, and the WebAudio graph that mixes what the supervisor hears.
// Components read it through subscribe/getSnapshot and the level readers.
import { LEGS, rmsToLevel, type LegName, type ListenOffer, type Presence } from '@earshot/shared';
import { Device, type types as msc } from 'mediasoup-client';
import { request, RequestError, socket } from '../socket';

export const MAX_STRIPS = 4;
/** How much a strip that is not focused is turned down while another is focused. */
const DUCK = 0.25;

export type StripStatus = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'lost' | 'error';

export interface LegControls {
  volume: number;
  muted: boolean;
}

export interface StripState {
  callId: string;
  status: StripStatus;
  message: string | undefined;
  legs: Record<LegName, LegControls>;
  solo: LegName | null;
  split: boolean;
  /** Everyone listening to the call, this console included. */
  listeners: Presence[];
  joinedAt: number;
  /** When audio was first heard on either leg (ms since the epoch). */
  firstAudioAt: number | undefined;
}

export interface ListenState {
  strips: StripState[];
  focused: string | null;
  /** Why the last request could not be met (shown once, then cleared). */
  notice: string | undefined;
}

interface LegMedia {
  consumer: msc.Consumer;
  element: HTMLAudioElement;
  analyser: AnalyserNode;
  gain: GainNode;
  panner: StereoPannerNode;
}

interface StripMedia {
  transport: msc.Transport;
  legs: Map<LegName, LegMedia>;
}

const defaultLegs = (): Record<LegName, LegControls> => ({
  agent: { volume: 1, muted: false },
  customer: { volume: 1, muted: false },
});

function levelOf(analyser: AnalyserNode, buffer: Float32Array<ArrayBuffer>): number {
  analyser.getFloatTimeDomainData(buffer);
  let sum = 0;
  for (let i = 0; i < buffer.length; i++) sum += buffer[i]! * buffer[i]!;
  return rmsToLevel(Math.sqrt(sum / buffer.length));
}

class ListenEngine {
  #state: ListenState = { strips: [], focused: null, notice: undefined };
  readonly #listeners = new Set<() => void>();
  readonly #media = new Map<string, StripMedia>();
  readonly #attaching = new Map<string, Promise<void>>();
  #device: Device | undefined;
  #ctx: AudioContext | undefined;
  #master: GainNode | undefined;
  #outputs: [AnalyserNode, AnalyserNode] | undefined;
  readonly #buffer = new Float32Array(1024);

  constructor() {
    socket.on('listeners:update', ({ callId, listeners }) => this.#patch(callId, { listeners }));
    socket.on('listen:ended', ({ callId, reason }) => {
      this.#teardown(callId);
      this.#patch(callId, {
        status: reason === 'media-lost' ? 'lost' : 'ended',
        message:
          reason === 'media-lost'
            ? 'Media lost: the call could not be moved to another media worker'
            : reason === 'revoked'
              ? 'You may no longer hear this call: your access changed'
              : undefined,
      });
    });
    socket.on('listen:restart', ({ callId }) =>
      this.#reattach(callId, 'Media moved to another worker; re-attaching…'),
    );
    socket.on('connect', () => {
      // After a reconnect the server knows nothing of this console: listen again.
      for (const strip of this.#state.strips) {
        if (strip.status !== 'ended' && strip.status !== 'lost')
          this.#reattach(strip.callId, 'Reconnected; re-attaching…');
      }
    });
    socket.on('disconnect', () => {
      for (const strip of this.#state.strips) {
        if (strip.status === 'live' || strip.status === 'connecting') {
          this.#patch(strip.callId, {
            status: 'reconnecting',
            message: 'Connection lost; reconnecting…',
          });
        }
      }
    });
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  getSnapshot = (): ListenState => this.#state;

  #set(next: Partial<ListenState>): void {
    this.#state = { ...this.#state, ...next };
    this.#listeners.forEach((l) => l());
  }

  #patch(callId: string, patch: Partial<StripState>): void {
    if (!this.#state.strips.some((s) => s.callId === callId)) return;
    this.#set({
      strips: this.#state.strips.map((s) => (s.callId === callId ? { ...s, ...patch } : s)),
    });
    this.#applyGains();
  }

  strip(callId: string): StripState | undefined {
    return this.#state.strips.find((s) => s.callId === callId);
  }

  clearNotice(): void {
    this.#set({ notice: undefined });
  }

  #audio(): AudioContext {
    if (!this.#ctx) {
      const ctx = new AudioContext({ latencyHint: 'interactive' });
      const master = ctx.createGain();
      const splitter = ctx.createChannelSplitter(2);
      const left = ctx.createAnalyser();
      const right = ctx.createAnalyser();
      left.fftSize = right.fftSize = 1024;
      master.connect(ctx.destination);
      master.connect(splitter);
      splitter.connect(left, 0);
      splitter.connect(right, 1);
      this.#ctx = ctx;
      this.#master = master;
      this.#outputs = [left, right];
    }
    void this.#ctx.resume();
    return this.#ctx;
  }

  async #loadDevice(): Promise<Device> {
    if (this.#device?.loaded) return this.#device;
    const { routerRtpCapabilities } = await request<{ routerRtpCapabilities: msc.RtpCapabilities }>(
      'media:capabilities',
      {},
    );
    const device = new Device();
    await device.load({ routerRtpCapabilities });
    this.#device = device;
    return device;
  }

  /** Starts listening to a call in a new strip (or focuses its strip). */
  open(callId: string): void {
    if (this.strip(callId)?.status === 'live' || this.#attaching.has(callId)) {
      this.focus(callId);
      return;
    }
    const active = this.#state.strips.filter((s) => s.status !== 'ended' && s.status !== 'lost');
    if (!this.strip(callId) && active.length >= MAX_STRIPS) {
      this.#set({ notice: `You can listen to ${MAX_STRIPS} calls at once: stop one first.` });
      return;
    }
    // Ended strips make room for new ones.
    const kept = this.#state.strips.filter(
      (s) => s.callId !== callId && s.status !== 'ended' && s.status !== 'lost',
    );
    const strip: StripState = {
      callId,
      status: 'connecting',
      message: undefined,
      legs: defaultLegs(),
      solo: null,
      split: false,
      listeners: [],
      joinedAt: Date.now(),
      firstAudioAt: undefined,
    };
    this.#set({ strips: [...kept, strip], notice: undefined });
    this.#audio(); // inside the click: lets the AudioContext start
    this.#start(callId);
  }

  #reattach(callId: string, message: string): void {
    if (!this.strip(callId)) return;
    this.#teardown(callId);
    this.#patch(callId, { status: 'reconnecting', message });
    this.#start(callId);
  }

  #start(callId: string): void {
    const attempt = (this.#attaching.get(callId) ?? Promise.resolve()).then(() =>
      this.#attach(callId),
    );
    const tracked = attempt
      .catch((error: unknown) => {
        this.#teardown(callId);
        this.#patch(callId, {
          status: 'error',
          message:
            error instanceof RequestError && error.code === 'not_found'
              ? 'There is no live call with this link: it has ended, or the link is mistyped.'
              : error instanceof Error
                ? error.message
                : String(error),
        });
      })
      .finally(() => {
        if (this.#attaching.get(callId) === tracked) this.#attaching.delete(callId);
      });
    this.#attaching.set(callId, tracked);
  }

  async #attach(callId: string): Promise<void> {
    if (!this.strip(callId)) return;
    const device = await this.#loadDevice();
    const offer = await request<ListenOffer>('listen:start', {
      callId,
      rtpCapabilities: device.recvRtpCapabilities,
    });
    if (!this.strip(callId)) {
      await request('listen:stop', { callId }).catch(() => undefined);
      return;
    }
    const transport = device.createRecvTransport({
      id: offer.transport.id,
      iceParameters: offer.transport.iceParameters as msc.IceParameters,
      iceCandidates: offer.transport.iceCandidates as msc.IceCandidate[],
      dtlsParameters: offer.transport.dtlsParameters as msc.DtlsParameters,
    });
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      request('listen:connect', { callId, dtlsParameters }).then(() => callback(), errback);
    });
    const media: StripMedia = { transport, legs: new Map() };
    this.#media.set(callId, media);
    const ctx = this.#audio();
    // NOTE: both legs asked for in the same tick: mediasoup-client negotiates them in one
    // offer/answer instead of one after the other (a renegotiation each, on the join's path).
    const consumed = await Promise.all(
      offer.consumers.map(({ id, producerId, rtpParameters }) =>
        transport.consume({
          id,
          producerId,
          kind: 'audio',
          rtpParameters: rtpParameters as msc.RtpParameters,
        }),
      ),
    );
    for (const [i, { leg }] of offer.consumers.entries()) {
      const consumer = consumed[i]!;
      const stream = new MediaStream([consumer.track]);
      // NOTE: Chromium feeds a remote WebRTC track into WebAudio only while a media
      // element also plays it; the element is muted, WebAudio does the listening.
      const element = new Audio();
      element.srcObject = stream;
      element.muted = true;
      void element.play().catch(() => undefined);
      const source = ctx.createMediaStreamSource(stream);
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 1024;
      const gain = ctx.createGain();
      const panner = ctx.createStereoPanner();
      source.connect(analyser);
      source.connect(gain).connect(panner).connect(this.#master!);
      media.legs.set(leg, { consumer, element, analyser, gain, panner });
    }
    await request('listen:resume', { callId });
    this.#patch(callId, { status: 'live', message: undefined });
    this.#watchFirstAudio(callId);
  }

  #watchFirstAudio(callId: string): void {
    const check = () => {
      const strip = this.strip(callId);
      if (!strip || strip.firstAudioAt || strip.status !== 'live') return;
      if (LEGS.some((leg) => this.legLevel(callId, leg) > 0))
        this.#patch(callId, { firstAudioAt: Date.now() });
      else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  }

  #teardown(callId: string): void {
    const media = this.#media.get(callId);
    if (!media) return;
    this.#media.delete(callId);
    for (const leg of media.legs.values()) {
      leg.gain.disconnect();
      leg.panner.disconnect();
      leg.element.srcObject = null;
      leg.consumer.close();
    }
    media.transport.close();
  }

  /** Stops listening to a call and removes its strip; the server frees its consumers at once. */
  close(callId: string): void {
    const strip = this.strip(callId);
    if (!strip) return;
    this.#teardown(callId);
    if (strip.status !== 'ended' && strip.status !== 'lost')
      void request('listen:stop', { callId }).catch(() => undefined);
    this.#set({
      strips: this.#state.strips.filter((s) => s.callId !== callId),
      focused: this.#state.focused === callId ? null : this.#state.focused,
    });
  }

  focus(callId: string | null): void {
    this.#set({ focused: this.#state.focused === callId ? null : callId });
    this.#applyGains();
  }

  setVolume(callId: string, leg: LegName, volume: number): void {
    const strip = this.strip(callId);
    if (strip)
      this.#patch(callId, {
        legs: {
          ...strip.legs,
          [leg]: { ...strip.legs[leg], volume: Math.max(0, Math.min(1.5, volume)) },
        },
      });
  }

  /** Mutes or unmutes one leg, or the whole strip when no leg is named. */
  toggleMute(callId: string, leg?: LegName): void {
    const strip = this.strip(callId);
    if (!strip) return;
    const legs = leg ? [leg] : LEGS;
    const muted = !legs.every((l) => strip.legs[l].muted);
    const next = { ...strip.legs };
    for (const l of legs) next[l] = { ...next[l], muted };
    this.#patch(callId, { legs: next });
  }

  toggleSolo(callId: string, leg: LegName): void {
    const strip = this.strip(callId);
    if (strip) this.#patch(callId, { solo: strip.solo === leg ? null : leg });
  }

  toggleSplit(callId: string): void {
    const strip = this.strip(callId);
    if (strip) this.#patch(callId, { split: !strip.split });
  }

  #applyGains(): void {
    const ctx = this.#ctx;
    if (!ctx) return;
    for (const strip of this.#state.strips) {
      const media = this.#media.get(strip.callId);
      if (!media) continue;
      const ducked = this.#state.focused !== null && this.#state.focused !== strip.callId;
      for (const [leg, m] of media.legs) {
        const c = strip.legs[leg];
        const audible = !c.muted && (strip.solo === null || strip.solo === leg);
        const gain = audible ? c.volume * (ducked ? DUCK : 1) : 0;
        m.gain.gain.setTargetAtTime(gain, ctx.currentTime, 0.015);
        m.panner.pan.setTargetAtTime(
          strip.split ? (leg === 'agent' ? -1 : 1) : 0,
          ctx.currentTime,
          0.015,
        );
      }
    }
  }

  /**
   * How long after reaching the server the audio of a call is heard here: the network
   * (half the round trip), the jitter buffer, and the audio output.
   */
  async playoutDelayMs(callId: string): Promise<number> {
    const media = this.#media.get(callId);
    if (!media) return 0;
    let jitterBuffer = 0;
    let rtt = 0;
    for (const leg of media.legs.values()) {
      const stats = await leg.consumer.getStats();
      stats.forEach((s: Record<string, unknown>) => {
        const emitted = Number(s.jitterBufferEmittedCount ?? 0);
        if (s.type === 'inbound-rtp' && emitted > 0)
          jitterBuffer = Math.max(jitterBuffer, Number(s.jitterBufferDelay) / emitted);
        if (
          s.type === 'candidate-pair' &&
          s.nominated &&
          typeof s.currentRoundTripTime === 'number'
        )
          rtt = s.currentRoundTripTime;
      });
    }
    const ctx = this.#ctx;
    const output = ctx ? (ctx.outputLatency || 0) + (ctx.baseLatency || 0) : 0;
    return Math.round((jitterBuffer + rtt / 2 + output) * 1000);
  }

  /** Loudness (0..1) of a leg as received, before volume, mute and solo. */
  legLevel(callId: string, leg: LegName): number {
    const analyser = this.#media.get(callId)?.legs.get(leg)?.analyser;
    return analyser ? levelOf(analyser, this.#buffer) : 0;
  }

  /** Loudness (0..1) of what the supervisor hears, per output channel. */
  outputLevel(channel: 'left' | 'right'): number {
    const analyser = this.#outputs?.[channel === 'left' ? 0 : 1];
    return analyser ? levelOf(analyser, this.#buffer) : 0;
  }
}

/** The console's listening engine. */
export const listenEngine = new ListenEngine();
