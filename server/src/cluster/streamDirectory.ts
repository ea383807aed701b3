import { z } from 'zod';
import type { StreamDirectory } from '../ingest/StreamCalls.ts';
import type { Cluster } from './Cluster.ts';

/** How long a conversation's entry outlives its last word (a call ended without one). */
const KEEP_MS = 24 * 3_600_000;
const Entry = z.object({ callId: z.string(), startedAt: z.number() });
const Resumed = z.object({ key: z.string().max(512) });

/**
 * Streamed conversations' calls in Redis, so that a stream that drops from one node and
 * comes back on another finds its call; the node it comes back to tells the others.
 */
export function streamDirectory(cluster: Cluster): StreamDirectory {
  const redisKey = (key: string) => `earshot:stream:${key}`;
  return {
    async find(key) {
      const raw = await cluster.redis.get(redisKey(key)).catch(() => null);
      if (!raw) return undefined;
      try {
        const parsed = Entry.safeParse(JSON.parse(raw));
        return parsed.success ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    },
    remember(key, callId, startedAt) {
      cluster.redis
        .set(redisKey(key), JSON.stringify({ callId, startedAt }), 'PX', KEEP_MS)
        .catch(() => undefined);
    },
    forget(key) {
      cluster.redis.del(redisKey(key)).catch(() => undefined);
    },
    resumed(key) {
      cluster.publish('streams:resumed', { key });
    },
    onResumedElsewhere(listener) {
      cluster.subscribe('streams:resumed', Resumed, ({ key }) => listener(key));
    },
  };
}
