import type { Database } from './database.js';
import { SessionsRepo } from './sessions-repo.js';
import { SettingsRepo } from './settings-repo.js';
import { SharesRepo } from './shares-repo.js';
import { UsersRepo } from './users-repo.js';

export { openDatabase, type Database } from './database.js';
export type { UserRow } from './users-repo.js';
export type { ShareRow } from './shares-repo.js';
export { SessionsRepo, SettingsRepo, SharesRepo, UsersRepo };

export interface Repositories {
  settings: SettingsRepo;
  users: UsersRepo;
  sessions: SessionsRepo;
  shares: SharesRepo;
  /** Runs `work` in one SQLite transaction: all of its writes land, or none. */
  transaction<T>(work: () => T): T;
}

export function createRepositories(db: Database): Repositories {
  return {
    settings: new SettingsRepo(db),
    users: new UsersRepo(db),
    sessions: new SessionsRepo(db),
    shares: new SharesRepo(db),
    transaction: (work) => db.transaction(work)(),
  };
}
