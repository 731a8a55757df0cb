import { hashPassword } from '../crypto/index.js';
import type { Repositories } from '../db/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { ShareService } from '../shares/share-service.js';
import type { MasterKeyStore } from './master-key.js';
import { issueUserKey, type UserKeyTexts, userKeyTexts } from './user-keys.js';

export const SERVER_NAME_SETTING = 'server_name';

/** First setup: the server's name, its master key and its first administrator. */
export class SetupService {
  private inProgress = false;

  constructor(
    private readonly repos: Pick<Repositories, 'settings' | 'users' | 'shares' | 'transaction'>,
    private readonly masterKeys: MasterKeyStore,
    private readonly shares: ShareService,
    private readonly now: () => Date = () => new Date(),
  ) {}

  isSetUp(): boolean {
    return this.repos.settings.get(SERVER_NAME_SETTING) !== undefined;
  }

  serverName(): string {
    const name = this.repos.settings.get(SERVER_NAME_SETTING);
    if (name === undefined) throw new AnemoneError('NOT_SET_UP');
    return name;
  }

  /**
   * Returns the administrator's encryption key: like every user's, it is
   * shown this once and cannot be recovered from the server later.
   */
  async setup(input: { serverName: string; username: string; password: string }): Promise<{ userId: number; encryptionKey: UserKeyTexts }> {
    if (this.isSetUp() || this.inProgress) throw new AnemoneError('ALREADY_SET_UP');
    // the master key file is written before the database says "set up"; one setup at a time keeps them paired
    this.inProgress = true;
    try {
      const passwordHash = await hashPassword(input.password);
      const masterKey = await this.masterKeys.create();
      const { userKey, wrappedKey, keyCheck } = issueUserKey(masterKey, input.username);
      const createdAt = this.now().toISOString();
      const userId = this.repos.transaction(() => {
        const id = this.repos.users.insertActive({ username: input.username, isAdmin: true, passwordHash, wrappedKey, keyCheck, createdAt });
        this.shares.insertDefaultShares(id, createdAt);
        this.repos.settings.set(SERVER_NAME_SETTING, input.serverName);
        return id;
      });
      await this.shares.createShareFolders(input.username);
      return { userId, encryptionKey: userKeyTexts(userKey) };
    } finally {
      this.inProgress = false;
    }
  }
}
