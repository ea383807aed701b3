import { z } from 'zod';

const isIPv4 = (s: string) =>
  /^(\d{1,3})(\.\d{1,3}){3}$/.test(s) && s.split('.').every((o) => Number(o) <= 255);
const isIPv6 = (s: string) => /^[0-9a-fA-F:.]+$/.test(s) && s.includes(':') && s.length <= 45;

/** An address (`192.0.2.10`) or a CIDR range (`192.0.2.0/24`, `2001:db8::/32`). */
export const Cidr = z
  .string()
  .trim()
  .max(64)
  .refine((value) => {
    const [address = '', prefix, extra] = value.split('/');
    if (extra !== undefined) return false;
    const max = isIPv4(address) ? 32 : isIPv6(address) ? 128 : -1;
    if (max === -1) return false;
    return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max);
  }, 'must be an IP address or a CIDR range such as 192.0.2.0/24');

/** An address range allowed to send SIPREC INVITEs. */
export const SiprecPeer = z.object({
  id: z.string(),
  cidr: z.string(),
  label: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
});
export type SiprecPeer = z.infer<typeof SiprecPeer>;

/** `POST /api/v1/siprec/peers`. */
export const CreateSiprecPeerRequest = z.strictObject({
  cidr: Cidr,
  label: z.string().trim().min(1).max(120),
});
export type CreateSiprecPeerRequest = z.infer<typeof CreateSiprecPeerRequest>;

/** `GET /api/v1/siprec`: whether SIPREC is on, where it listens, and the allowed peers. */
export const SiprecStatus = z.object({
  enabled: z.boolean(),
  listen: z.array(
    z.object({ transport: z.enum(['udp', 'tcp']), host: z.string(), port: z.number() }),
  ),
  sessions: z.number().int(),
  peers: z.array(SiprecPeer),
});
export type SiprecStatus = z.infer<typeof SiprecStatus>;
