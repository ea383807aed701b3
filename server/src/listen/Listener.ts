import type { Presence } from '@earshot/shared';
import type { ListenSession } from './ListenSession.ts';

/** Whether a listener may hear a call (its roles and scope decide). */
export type MayHear = (call: { team: string; center: string }) => boolean;

/** One console (a browser tab) of a signed-in user: who it is and the calls it hears. */
export class Listener {
  readonly id: string;
  /** The signed-in user: what presence shows and the audit trail records. */
  readonly who: { id: string; name: string };
  mayHear: MayHear;
  /** Calls it listens to, with their media sessions (absent while a call is re-tapped). */
  readonly calls = new Map<string, ListenSession | undefined>();
  /** When it started listening to each call (ms since the epoch). */
  readonly since = new Map<string, number>();

  constructor(id: string, who: { id: string; name: string }, mayHear: MayHear) {
    this.id = id;
    this.who = who;
    this.mayHear = mayHear;
  }

  presence(): Presence {
    return { id: this.id, name: this.who.name };
  }
}
