/** A session a peer opened for us: its bearer token, and when to open a new one. */
export interface OpenPeerSession {
  token: string;
  /** Epoch ms after which the token is renewed before use rather than left to expire mid-upload. */
  renewAt: number;
}

/**
 * Where a client keeps its session with one peer. A slot can outlive the
 * client: the peer checks its password with scrypt (32 MiB, on purpose slow)
 * once per session, so the clients of successive syncs to the same peer share
 * one slot instead of each opening a session of its own.
 */
export class SessionSlot {
  private session: OpenPeerSession | undefined;
  private opening: Promise<OpenPeerSession> | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** A token still good to use, opening a session with `open` if there is none; callers arriving together share one opening. */
  async token(open: () => Promise<OpenPeerSession>): Promise<string> {
    if (this.session && this.now() < this.session.renewAt) return this.session.token;
    this.opening ??= open()
      .then((session) => {
        this.session = session;
        return session;
      })
      .finally(() => {
        this.opening = undefined;
      });
    return (await this.opening).token;
  }

  /** Keeps a session just opened on purpose (Test Connection checks the password every time). */
  replace(session: OpenPeerSession): void {
    this.session = session;
  }

  /** Drops `token` when the peer no longer knows it (it restarted, or the session expired there). */
  forget(token: string): void {
    if (this.session?.token === token) this.session = undefined;
  }
}
