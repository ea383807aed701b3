import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

const VERSION = 'v1';

/**
 * Encrypts secrets Earshot must keep readable (an AudioHook client secret, a Twilio auth
 * token: both are needed to check signatures) with AES-256-GCM under one key: the key
 * given in EARSHOT_SECRET_KEY, else one made at first start in the data directory
 * (readable by its owner only). The database alone then reveals none of them.
 */
export class SecretBox {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  /** The configured key, or the key file (made when missing). */
  static async open(options: { key?: Buffer; file: string }): Promise<SecretBox> {
    if (options.key) return new SecretBox(options.key);
    try {
      const key = Buffer.from((await readFile(options.file, 'utf8')).trim(), 'base64');
      if (key.length !== 32) throw new Error(`${options.file} does not hold a 32-byte key`);
      return new SecretBox(key);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const key = randomBytes(32);
    await mkdir(dirname(options.file), { recursive: true });
    let handle;
    try {
      handle = await open(options.file, 'wx', 0o600);
    } catch (error) {
      // Another process made it first: use theirs.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return SecretBox.open(options);
      throw error;
    }
    try {
      await handle.writeFile(`${key.toString('base64')}\n`);
    } finally {
      await handle.close();
    }
    return new SecretBox(key);
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), body]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64')))
      .join('.');
  }

  /** Throws when the box was sealed under another key or tampered with. */
  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined)
      throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  }
}
