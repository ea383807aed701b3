// Which agent of the organisation an address from the telephony (a SIPREC participant's
// AOR) names. Pure: built from the declared agents' `addresses`.
import type { Org } from '@earshot/shared';

/** `sip:7300@Host;user=phone` → `7300@host`; `tel:+1 612…` → `+1612…`. */
function bare(address: string): string {
  return address
    .trim()
    .replace(/^<|>$/g, '')
    .replace(/^(sips?|tel):/i, '')
    .split(/[;?]/)[0]!
    .toLowerCase();
}

const digits = (s: string) => s.replace(/[^0-9]/g, '');
const isNumber = (s: string) => /^\+?[0-9 ().-]{3,}$/.test(s);

/** Looks agents up by address: exact URI first, then extension or number. */
export class AgentAddresses {
  readonly #exact = new Map<string, string>();
  readonly #user = new Map<string, string>();
  readonly #numbers: { digits: string; agentId: string }[] = [];

  constructor(org: Org) {
    for (const agent of org.agents) {
      for (const address of agent.addresses ?? []) {
        const b = bare(address);
        if (b.includes('@')) this.#exact.set(b, agent.id);
        else if (isNumber(b) && digits(b).length >= 7)
          this.#numbers.push({ digits: digits(b), agentId: agent.id });
        else this.#user.set(b, agent.id);
      }
    }
  }

  /** The id of the agent `address` names, or undefined. */
  find(address: string): string | undefined {
    const b = bare(address);
    const exact = this.#exact.get(b);
    if (exact) return exact;
    const user = b.includes('@') ? b.slice(0, b.indexOf('@')) : b;
    const byUser = this.#user.get(user);
    if (byUser) return byUser;
    if (!isNumber(user)) return undefined;
    const d = digits(user);
    if (d.length < 7) return undefined;
    // NOTE: numbers match with or without their country code (+1 612… and 612…).
    return this.#numbers.find((n) => n.digits === d || n.digits.endsWith(d) || d.endsWith(n.digits))
      ?.agentId;
  }
}
