import type { EarshotIo, EarshotSocket, OnEvent, SocketDomain } from '../realtime/socketKit.ts';
import { NoPayload } from '../realtime/socketKit.ts';
import type { AlertService } from './AlertService.ts';
import { maySeeAlert } from './routes.ts';

/** Alerts live: the open ones on subscribe, then each change to those who may see it. */
export class AlertsSocket implements SocketDomain {
  readonly #alerts: AlertService;
  readonly #following = new Set<EarshotSocket>();

  constructor(_io: EarshotIo, alerts: AlertService) {
    this.#alerts = alerts;
    alerts.on('alert', (alert) => {
      for (const socket of this.#following)
        if (maySeeAlert(socket.data.principal, alert)) socket.emit('alert', alert);
    });
  }

  connect(_socket: EarshotSocket, on: OnEvent): void {
    on('alerts:subscribe', NoPayload, async (s, _payload, principal) => {
      this.#following.add(s);
      const open = await this.#alerts.list('open', 200);
      return { alerts: open.filter((a) => maySeeAlert(principal, a)) };
    });
  }

  disconnect(socket: EarshotSocket): void {
    this.#following.delete(socket);
  }
}
