import { RecordingQuery } from '@earshot/shared';
import { Router } from 'express';
import type { AuditEntry } from '../audit/AuditLog.ts';
import { outOfScope } from '../auth/Access.ts';
import { actorOf } from '../auth/AuthService.ts';
import type { CallService } from '../calls/CallService.ts';
import type { Routing } from '../cluster/Forwarder.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { principalOf } from '../http/auth.ts';
import { uuidParam, type RouteKit } from '../http/kit.ts';
import { parseOrThrow } from '../http/validate.ts';
import type { RecordingStore } from './RecordingStore.ts';

/** Requests for one recording by one user this close together are one sitting. */
const SITTING_MS = 10 * 60_000;

/** A call's recording: the whole WAV (with Range), a segment, or a download; audited. */
export function recordingRoutes(
  kit: RouteKit,
  deps: {
    calls: CallService;
    recordings: RecordingStore;
    record: (entry: AuditEntry) => void;
    routing: Routing | undefined;
    /** Whether an agent may replay a call of theirs (one of its evaluations is theirs). */
    agentMayReplay: (callId: string, agentId: string) => Promise<boolean>;
  },
): Router {
  const router = Router();
  // One sitting with a recording is one record, however many requests the player makes
  // (the waveform's fetch, the audio element's ranges, a replay from the start).
  const sittings = new Map<string, number>();
  const firstOfSitting = (key: string): boolean => {
    const now = Date.now();
    const last = sittings.get(key);
    sittings.delete(key);
    sittings.set(key, now);
    if (sittings.size > 10_000) sittings.delete(sittings.keys().next().value!);
    return last === undefined || now - last > SITTING_MS;
  };

  router.get('/calls/:id/recording', kit.signedIn, async (req, res) => {
    const id = uuidParam(req.params.id, 'call');
    const who = principalOf(res);
    const call = await deps.calls.get(id);
    const query = parseOrThrow(RecordingQuery, req.query, 'recording range');
    const download = query.download === '1' || query.download === 'true';
    const range = query.from === undefined ? {} : { fromMs: query.from, toMs: query.to };
    const agent = who.access.agent;
    const theirs =
      agent !== null && call.agent.id === agent && (await deps.agentMayReplay(id, agent));
    if (!who.access.canReview(call) && !theirs) {
      deps.record({
        actor: actorOf(who),
        action: 'recording.denied',
        target: id,
        details: { team: call.team, download, ...range },
      });
      throw outOfScope(call);
    }
    const info = await deps.recordings.info(id);
    // Recordings stay on the node that tapped the call: another node's is fetched from it.
    if (
      !info &&
      (await deps.routing?.pass(req, res, deps.routing.other(await deps.calls.nodeOf(id))))
    )
      return;
    if (!info) throw new NotFoundError(`call "${id}" has no recording`);
    const action = download ? 'recording.download' : 'recording.replay';
    const sitting = `${who.user.id}|${id}|${action}|${query.from ?? ''}-${query.to ?? ''}`;
    if (download || firstOfSitting(sitting))
      deps.record({
        actor: actorOf(who),
        action,
        target: id,
        details: range,
      });
    if (query.from !== undefined && query.to !== undefined) {
      if (query.from >= info.durationMs) {
        throw new ValidationError('the range is outside the recording', [
          {
            path: 'from',
            message: `must be below the recording's ${Math.floor(info.durationMs)} ms`,
          },
        ]);
      }
      const segment = await deps.recordings.segment(
        id,
        query.from,
        Math.min(query.to, info.durationMs),
      );
      if (!segment) throw new NotFoundError(`call "${id}" has no recording`);
      const name = `call-${id.slice(0, 8)}-${query.from}-${query.to}.wav`;
      res.set('Content-Disposition', `${download ? 'attachment' : 'inline'}; filename="${name}"`);
      res.type('audio/wav').send(segment);
      return;
    }
    if (download)
      res.set('Content-Disposition', `attachment; filename="call-${id.slice(0, 8)}.wav"`);
    if (info.finalized) {
      // sendFile answers Range requests (206) and conditional requests by itself.
      res.sendFile(deps.recordings.wavFile(id), {
        headers: { 'Content-Type': 'audio/wav' },
        cacheControl: false,
      });
      return;
    }
    const live = await deps.recordings.read(id);
    if (!live) throw new NotFoundError(`call "${id}" has no recording`);
    res.set('Cache-Control', 'no-store').type('audio/wav').send(live);
  });

  return router;
}
