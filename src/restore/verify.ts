import { randomBytes } from 'node:crypto';
import type { MasterKeyStore } from '../accounts/master-key.js';
import { unwrapUserKey } from '../accounts/user-keys.js';
import type { Repositories } from '../db/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { Logger } from '../logging/logger.js';
import type { PeerService } from '../peers/peer-service.js';
import { type ShareVerifyReport, emptyReport, verifyShare } from './verify-share.js';

export interface VerifyRequest {
  peerId: number;
  /** Usernames to check; every activated user when absent. */
  users?: string[] | undefined;
  /** Files per share to download and decrypt in full (0: hashes only). */
  sample?: number | undefined;
}

export interface VerifyJob {
  id: string;
  status: 'running' | 'done' | 'failed';
  peerId: number;
  peerName: string;
  sample: number;
  startedAt: string;
  finishedAt: string | null;
  sharesDone: number;
  sharesTotal: number;
  /** True when every share checked is `ok` or holds no backup; null while running. */
  ok: boolean | null;
  shares: ShareVerifyReport[];
  error: { code: string; message: string; hint: string } | null;
}

/** Jobs kept for their reports; the oldest finished ones go first. */
const MAX_JOBS = 50;

/**
 * Verify: what a peer holds for this server's synced shares, checked
 * against the manifests, as a job an administrator follows (it reads every
 * stored byte on the peer's side, which takes a while on a large backup).
 */
export class VerifyService {
  private readonly jobs = new Map<string, VerifyJob>();

  constructor(
    private readonly deps: {
      repos: Pick<Repositories, 'users' | 'shares'>;
      masterKeys: Pick<MasterKeyStore, 'get'>;
      peers: Pick<PeerService, 'findPeer' | 'clientFor'>;
      serverName: () => string;
      logger: Logger;
      now?: () => Date;
    },
  ) {}

  /** Starts a job; refuses at once an unknown or unconfirmed peer and unknown users. */
  start(request: VerifyRequest): VerifyJob {
    const peer = this.deps.peers.findPeer(request.peerId);
    if (!peer) throw new AnemoneError('NOT_FOUND', { message: 'No such peer' });
    if (!peer.fingerprint) throw new AnemoneError('PEER_NOT_PINNED');
    const users = this.usersToCheck(request.users);
    const shares = users.flatMap((user) =>
      this.deps.repos.shares
        .listForUser(user.id)
        .filter((share) => share.syncEnabled)
        .map((share) => ({ user, share: share.name })),
    );
    const job: VerifyJob = {
      id: randomBytes(12).toString('base64url'),
      status: 'running',
      peerId: peer.id,
      peerName: peer.name,
      sample: request.sample ?? 0,
      startedAt: this.now().toISOString(),
      finishedAt: null,
      sharesDone: 0,
      sharesTotal: shares.length,
      ok: null,
      shares: [],
      error: null,
    };
    this.remember(job);
    void this.run(job, shares);
    return { ...job };
  }

  get(id: string): VerifyJob {
    const job = this.jobs.get(id);
    if (!job) throw new AnemoneError('NOT_FOUND', { message: 'No such verification; reports are kept until the server restarts' });
    return { ...job, shares: [...job.shares] };
  }

  private async run(job: VerifyJob, shares: { user: { username: string; wrappedKey: string | null }; share: string }[]): Promise<void> {
    let client: ReturnType<PeerService['clientFor']> | undefined;
    try {
      client = this.deps.peers.clientFor(job.peerId);
      const serverName = this.deps.serverName();
      for (const { user, share } of shares) {
        try {
          const userKey = unwrapUserKey(this.deps.masterKeys.get(), user.username, user.wrappedKey as string);
          job.shares.push(await verifyShare({ client, userKey, serverName, user: user.username, share, sample: job.sample }));
        } catch (error) {
          job.shares.push({ ...emptyReport(user.username, share), status: 'error', error: describe(error) });
        }
        job.sharesDone += 1;
      }
      job.ok = job.shares.every((report) => report.status === 'ok' || report.status === 'no-backup');
      job.status = 'done';
    } catch (error) {
      job.status = 'failed';
      job.error = describe(error);
      this.deps.logger.warn({ peer: job.peerName, error: job.error.message }, 'verification failed');
    } finally {
      job.finishedAt = this.now().toISOString();
      await client?.close().catch(() => undefined);
    }
    this.deps.logger.info({ peer: job.peerName, ok: job.ok, shares: job.shares.length }, 'verification finished');
  }

  private usersToCheck(names: string[] | undefined) {
    const activated = this.deps.repos.users.list().filter((user) => user.wrappedKey !== null);
    if (names === undefined) return activated;
    return names.map((name) => {
      const user = activated.find((candidate) => candidate.username === name);
      if (!user) throw new AnemoneError('NOT_FOUND', { message: `No activated user named "${name}"` });
      return user;
    });
  }

  private remember(job: VerifyJob): void {
    this.jobs.set(job.id, job);
    for (const [id, old] of this.jobs) {
      if (this.jobs.size <= MAX_JOBS) break;
      if (old.status !== 'running') this.jobs.delete(id);
    }
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}

function describe(error: unknown): { code: string; message: string; hint: string } {
  const coded = error as { code?: unknown; message?: unknown; hint?: unknown } | undefined;
  if (coded && typeof coded.code === 'string' && typeof coded.message === 'string' && typeof coded.hint === 'string') {
    return { code: coded.code, message: coded.message, hint: coded.hint };
  }
  return {
    code: 'INTERNAL',
    message: `The check failed: ${error instanceof Error ? error.message : String(error)}`,
    hint: "Try again; if it keeps happening, look at the server's log (its standard output: journalctl -u anemone, docker logs; or the file ANEMONE_LOG_FILE names).",
  };
}
