// The SIPREC offer bodies from real SBCs in ../shared/fixtures/siprec (beside the clone).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Org } from '@earshot/shared';
import { TEST_ORG, type TestServer } from './harness.ts';

export const SIPREC_FIXTURES = fileURLToPath(
  new URL('../../../../shared/fixtures/siprec/', import.meta.url),
);

/** A fixture body as it is stored. */
export function siprecFixture(name: string): string {
  return readFileSync(`${SIPREC_FIXTURES}${name}`, 'utf8');
}

/** The boundary a fixture body's first delimiter line names. */
export function fixtureBoundary(body: string): string {
  const m = /^\s*--(\S+)/.exec(body);
  if (!m) throw new Error('the fixture has no boundary line');
  return m[1]!;
}

/** The test organisation, with the addresses the fixtures' SBCs give the agents. */
export const SIPREC_ORG: Org = {
  ...TEST_ORG,
  agents: [
    {
      id: 'a-olsen',
      name: 'Kari Olsen',
      teamId: 'mpls-care-1',
      addresses: [
        '7300',
        '1002',
        '+12249888012',
        'sip:ASBCE@asbce.com',
        'Extension-016190619@speechpath.ie',
        '0760516936',
      ],
    },
    { id: 'a-rivera', name: 'Luis Rivera', teamId: 'bk-billing', addresses: ['7400'] },
  ],
};

export const SIPREC_ENV = {
  EARSHOT_SIPREC_LISTEN: 'udp:127.0.0.1:0,tcp:127.0.0.1:0',
  EARSHOT_SIPREC_PEERS: '127.0.0.1',
};

/** The SIP address the test server listens on for a transport. */
export function sipTarget(server: TestServer, transport: 'udp' | 'tcp') {
  const a = server.earshot.siprec!.addresses().find((x) => x.transport === transport)!;
  return { host: '127.0.0.1', port: a.port };
}
