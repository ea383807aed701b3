import type { Presence } from '@earshot/shared';
import type { ListenSession } from './ListenSession.ts';

/** One console (a browser tab): who it is and the calls it listens to. */
export class Listener {
  readonly id: string;
  name: string | undefined;
  /** The browser's lasting id, when it gave one: what its tags are signed with. */
  consoleId: string | undefined;
  /** Calls it listens to, with their media sessions (absent while a call is re-tapped). */
  readonly calls = new Map<string, ListenSession | undefined>();
  /** When it started listening to each call (ms since the epoch). */
  readonly since = new Map<string, number>();

  constructor(id: string) {
    this.id = id;
  }

  presence(): Presence {
    return { id: this.id, name: this.name ?? 'unnamed' };
  }
}
