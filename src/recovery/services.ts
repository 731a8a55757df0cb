import type { MasterKeyStore } from '../accounts/master-key.js';
import type { SetupService } from '../accounts/setup-service.js';
import type { Repositories } from '../db/index.js';
import type { Logger } from '../logging/logger.js';
import type { PeerService } from '../peers/peer-service.js';
import type { ShareService } from '../shares/share-service.js';
import { checkKeyOnPeers } from './key-check.js';
import { RecoveryKitService } from './kit-service.js';
import { RebuildService } from './rebuild-service.js';
import { UserKeyEntry } from './user-key-entry.js';

/** Disaster recovery, as the server uses it. */
export interface RecoveryServices {
  kits: RecoveryKitService;
  rebuild: RebuildService;
  keys: UserKeyEntry;
}

export function createRecoveryServices(deps: {
  repos: Repositories;
  masterKeys: MasterKeyStore;
  identity: { certPem: string; keyPem: string };
  setup: SetupService;
  peers: PeerService;
  shares: ShareService;
  certsDir: string;
  logger: Logger;
}): RecoveryServices {
  const { repos, masterKeys, setup, peers } = deps;
  // rebuilt from a kit through the first-run page, this process still presents the certificate it made at
  // start: until it restarts, it sends no kit to peers (they would refuse that certificate anyway)
  let restartPending = false;
  return {
    kits: new RecoveryKitService({
      repos,
      masterKeys,
      identity: deps.identity,
      serverName: () => setup.serverName(),
      isSetUp: () => setup.isSetUp() && !restartPending,
      peers,
      logger: deps.logger,
    }),
    rebuild: new RebuildService({
      target: { repos, masterKeys, sharePath: (username, share) => deps.shares.sharePath(username, share), certsDir: deps.certsDir },
      // a server not set up yet fetches its kit with the certificate it made at first start
      identity: deps.identity,
      onRestored: () => {
        restartPending = true;
      },
    }),
    keys: new UserKeyEntry({
      repos,
      masterKeys,
      checkOnPeers: (username, shares, userKey) => checkKeyOnPeers({ peers, serverName: setup.serverName(), username, shares, userKey }),
    }),
  };
}
