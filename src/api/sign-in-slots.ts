import { AnemoneError } from '../errors/catalogue.js';

/**
 * At most `perAddress` password checks of one address at a time. Everyone's
 * sign-ins share one hashing thread (about a second each); without this, a
 * flood from one address would fill its queue and everyone else would wait
 * behind it, or be refused. A further attempt from a busy address is
 * answered 429 at once.
 */
export class SignInSlots {
  private readonly inUse = new Map<string, number>();

  constructor(private readonly perAddress: number) {}

  async run<T>(address: string, check: () => Promise<T>): Promise<T> {
    const used = this.inUse.get(address) ?? 0;
    if (used >= this.perAddress) {
      throw new AnemoneError('TOO_MANY_ATTEMPTS', {
        message: 'Sign-ins from this address are already being checked; wait for their answer, then try again',
        details: { retryAfterSeconds: 2 },
      });
    }
    this.inUse.set(address, used + 1);
    try {
      return await check();
    } finally {
      const left = (this.inUse.get(address) ?? 1) - 1;
      if (left > 0) this.inUse.set(address, left);
      else this.inUse.delete(address);
    }
  }
}
