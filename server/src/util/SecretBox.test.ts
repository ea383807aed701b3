import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecretBox } from './SecretBox.ts';

describe('SecretBox', () => {
  it('seals secrets so that only its key opens them, and keeps its key in a file only its owner reads', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'earshot-box-')), 'secret.key');
    const box = await SecretBox.open({ file });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const sealed = box.seal('auth-token-0123456789abcdef');
    expect(sealed).not.toContain('auth-token');
    expect(box.seal('auth-token-0123456789abcdef')).not.toBe(sealed);
    expect((await SecretBox.open({ file })).open(sealed)).toBe('auth-token-0123456789abcdef');
    const [version, iv, tag, body] = sealed.split('.');
    const flipped = Buffer.from(body!, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => box.open([version, iv, tag, flipped.toString('base64')].join('.'))).toThrow();
    const other = await SecretBox.open({ key: Buffer.alloc(32, 7), file });
    expect(() => other.open(sealed)).toThrow();
    expect(() => box.open('not sealed')).toThrow(/not a sealed secret/);
  });
});
