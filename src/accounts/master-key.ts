import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomKey } from '../crypto/index.js';

const MASTER_KEY_FILE = 'master.key';

/**
 * The master key wraps every user key in the database. It lives in its own
 * file (mode 0600) beside the database, not in it, so a copy of the database
 * alone unlocks nothing.
 */
export class MasterKeyStore {
  private key: Buffer | undefined;

  constructor(private readonly secretsDir: string) {}

  async load(): Promise<void> {
    try {
      const text = await readFile(path.join(this.secretsDir, MASTER_KEY_FILE), 'utf8');
      const key = Buffer.from(text.trim(), 'base64');
      if (key.length !== 32) throw new Error(`${path.join(this.secretsDir, MASTER_KEY_FILE)} does not hold a 32-byte key`);
      this.key = key;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  has(): boolean {
    return this.key !== undefined;
  }

  get(): Buffer {
    if (!this.key) throw new Error('The master key is not available: the server is not set up');
    return this.key;
  }

  /** Makes a new key (first setup) or stores a given one (a server rebuilt from its recovery kit). */
  async create(given?: Buffer): Promise<Buffer> {
    const key = given ?? randomKey();
    await mkdir(this.secretsDir, { recursive: true, mode: 0o700 });
    const target = path.join(this.secretsDir, MASTER_KEY_FILE);
    const temporary = `${target}.tmp-${process.pid}`;
    await writeFile(temporary, `${key.toString('base64')}\n`, { mode: 0o600, flush: true });
    await rename(temporary, target);
    this.key = key;
    return key;
  }
}
