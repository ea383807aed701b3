import { KpiSubscribeRequest } from '@earshot/shared';
import type { Principal } from '../auth/AuthService.ts';
import { assertMayFollow, mayFollow } from '../auth/kpiAccess.ts';
import type { CallService } from '../calls/CallService.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import type { EarshotIo, EarshotSocket, OnEvent, SocketDomain } from '../realtime/socketKit.ts';
import type { KpiService } from './KpiService.ts';

const kpiRoom = (scope: string, window: string) => `kpi:${scope}|${window}`;

/** KPI panels: a snapshot on subscribe, then only the changed metrics, per scope and window. */
export class KpiSocket implements SocketDomain {
  readonly #kpi: KpiService;
  readonly #org: OrgRepository;
  readonly #calls: CallService;

  constructor(io: EarshotIo, kpi: KpiService, org: OrgRepository, calls: CallService) {
    this.#kpi = kpi;
    this.#org = org;
    this.#calls = calls;
    kpi.on('update', (update) =>
      io.local.to(kpiRoom(update.scope, update.window)).emit('kpi:update', update),
    );
  }

  connect(_socket: EarshotSocket, on: OnEvent): void {
    on('kpi:subscribe', KpiSubscribeRequest, async (s, { scope, window }, p) => {
      await assertMayFollow(p.access, scope, this.#org, this.#calls);
      const room = kpiRoom(scope, window);
      const { followed } = s.data;
      const snapshot = followed.has(room)
        ? await this.#kpi.metrics(scope, window)
        : await this.#kpi.subscribe(scope, window);
      followed.set(room, { scope, window });
      await s.join(room);
      return snapshot;
    });
    on('kpi:unsubscribe', KpiSubscribeRequest, async (s, { scope, window }) => {
      const room = kpiRoom(scope, window);
      if (s.data.followed.delete(room)) this.#kpi.unsubscribe(scope, window);
      await s.leave(room);
      return null;
    });
  }

  /** KPI scopes no longer allowed are dropped. */
  async rightsChanged(socket: EarshotSocket, principal: Principal): Promise<void> {
    for (const [room, { scope, window }] of socket.data.followed) {
      if (await mayFollow(principal.access, scope, this.#org, this.#calls)) continue;
      socket.data.followed.delete(room);
      this.#kpi.unsubscribe(scope, window);
      void socket.leave(room);
    }
  }

  disconnect(socket: EarshotSocket): void {
    for (const { scope, window } of socket.data.followed.values())
      this.#kpi.unsubscribe(scope, window);
    socket.data.followed.clear();
  }
}
