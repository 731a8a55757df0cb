import path from 'node:path';
import pino from 'pino';
import { SyncService } from '../../src/sync/sync-service.js';

type SyncServiceDeps = ConstructorParameters<typeof SyncService>[0];

/** A SyncService as the unit tests run it: server "server-a", shares under `dir/shares/<user>/<share>`, a silent log. */
export function testSyncService(dir: string, deps: Omit<SyncServiceDeps, 'serverName' | 'sharePath' | 'logger'>): SyncService {
  return new SyncService({
    serverName: () => 'server-a',
    sharePath: (username, shareName) => path.join(dir, 'shares', username, shareName),
    logger: pino({ level: 'silent' }),
    ...deps,
  });
}
