import { existsSync } from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { loadConfig, type ConfigSource } from '../config/config.js';
import { createRepositories, openDatabase } from '../db/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import { MigrationRecord } from '../incoming/migration-record.js';
import { S3Objects, s3Client } from '../incoming/s3-objects.js';
import { copyStoreToBucket, type MigrationOptions, type MigrationProgress } from '../incoming/s3-migration.js';
import { probeBucket } from '../incoming/s3-probe.js';
import { STORE_SETTING, storeChoiceOf } from '../incoming/services.js';
import { runningServerPid } from '../util/server-pid-file.js';
import { CliError } from './errors.js';
import { printJson } from './output.js';

export interface IncomingMigrateOptions {
  to: 's3';
  json?: boolean;
  /** Run as its own process (the CLI), which serves nothing: its own pid in anemone.pid is stale. */
  standalone?: boolean;
}

/** Beside the database: what was copied and verified, for a re-run (removed once the store is switched). */
export const MIGRATION_RECORD_NAME = 'incoming-migration.jsonl';

/**
 * `anemone incoming migrate --to s3`: copies the disk store into the bucket
 * the ANEMONE_S3_* settings name, verifies every object, and only then
 * switches the server's store setting. The server must be stopped; nothing
 * on disk is deleted (the administrator does it after checking).
 */
export async function runIncomingMigrate(options: IncomingMigrateOptions, flags: ConfigSource, testHooks: Pick<MigrationOptions, 'afterVerified'> = {}): Promise<MigrationProgress> {
  // the bucket's settings are read as a server started on S3 would read them
  const config = loadConfig(process.env, { ...flags, incomingStore: options.to });
  if (config.incomingStore.kind !== 's3') throw new Error('unreachable: the store was set to s3');
  const location = config.incomingStore.location;
  if (!existsSync(config.dbPath)) {
    throw new CliError(`There is no Anemone database in ${config.dataDir}`, 'Give the data directory the server uses with --data-dir or ANEMONE_DATA_DIR.');
  }
  refuseWhileServing(config.dataDir, options.standalone === true);
  const target = storeChoiceOf(config.incomingStore);
  const db = openDatabase(config.dbPath);
  const client = s3Client(location);
  try {
    const { settings } = createRepositories(db);
    const recorded = settings.get(STORE_SETTING);
    if (recorded !== undefined && recorded !== 'fs') {
      throw new AnemoneError('INCOMING_MIGRATE_NOTHING_TO_MOVE', {
        message: `This server keeps its peers' backups in ${recorded}, not on its disk: there is nothing to move${recorded === target ? '' : ` into ${target}`}`,
      });
    }
    const objects = new S3Objects(client, location);
    await probeBucket(objects);
    const record = MigrationRecord.open(path.join(config.dataDir, 'db', MIGRATION_RECORD_NAME), `${target} ${location.endpoint ?? `aws:${location.region}`}`);
    const bar = process.stderr.isTTY && options.json !== true
      ? new cliProgress.SingleBar({ format: 'Copying [{bar}] {value}/{total} objects, {mib} MiB', stream: process.stderr })
      : undefined;
    let started = false;
    const done = await copyStoreToBucket(config.incomingDir, objects, record, {
      progress: (progress) => {
        if (bar === undefined) return;
        if (!started) bar.start(progress.filesTotal, 0, { mib: 0 });
        started = true;
        bar.update(progress.filesDone, { mib: (progress.bytesDone / 2 ** 20).toFixed(1) });
      },
      ...testHooks,
    }).finally(() => bar?.stop());
    // started while we copied? Its sources' writes would be missing from the bucket
    refuseWhileServing(config.dataDir, options.standalone === true);
    settings.set(STORE_SETTING, target);
    record.remove();
    report(options, done, config.incomingDir, target);
    return done;
  } finally {
    client.destroy();
    db.close();
  }
}

function refuseWhileServing(dataDir: string, standalone: boolean): void {
  const pid = runningServerPid(dataDir, { exceptSelf: standalone });
  if (pid !== undefined) throw new AnemoneError('INCOMING_MIGRATE_SERVER_RUNNING', { message: `Anemone is running on ${dataDir} (process ${pid}): its backups cannot be moved while sources write to them` });
}

function report(options: IncomingMigrateOptions, done: MigrationProgress, incomingDir: string, target: string): void {
  if (options.json) {
    printJson({ store: target, objects: done.filesTotal, bytes: done.bytesTotal, copiedBefore: done.filesSkipped, incomingDir });
    return;
  }
  process.stdout.write(
    [
      `${done.filesTotal} objects (${done.bytesTotal} bytes) are in ${target}, each read back and its SHA-256 checked${done.filesSkipped > 0 ? ` (${done.filesSkipped} by an earlier run)` : ''}.`,
      'This server now keeps its peers\' backups there: start it with ANEMONE_INCOMING_STORE=s3 and the same ANEMONE_S3_* settings.',
      `Nothing was deleted from ${incomingDir}. Once a restore from the bucket works, free the disk with`,
      `  find ${incomingDir} -mindepth 1 -type f ! -name _recovery-kit.bin -delete && find ${incomingDir} -mindepth 1 -type d -empty -delete`,
      '(recovery kits, _recovery-kit.bin, stay on the disk with either store).',
      '',
    ].join('\n'),
  );
}
