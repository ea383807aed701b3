// The SIPREC offer bodies from real SBCs in ../shared/fixtures/siprec (beside the clone).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
