import { randomBytes } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConfigSource } from '../../src/config/config.js';
import { S3Objects, s3Client } from '../../src/incoming/s3-objects.js';
import { LocalS3 } from './local-s3.js';
import { storedFiles } from './sync-cluster.js';

/**
 * Where a receiving server keeps its peers' backups, for integration tests
 * that run once per store: the filesystem, and a bucket on a local S3
 * server (s3rver on loopback). `start` answers the settings (as flags) to
 * give the receiving server.
 */
export interface ReceiverStore {
  name: 'fs' | 's3';
  start(): Promise<ConfigSource>;
  stop(): Promise<void>;
  /** The local S3 server, for tests that put a faulty proxy in front of it. */
  s3?: LocalS3;
  /** A stored object of the receiving server whose data directory is `dataDir`, by its path below the store's root (`server-a/alice/backup/x.enc`). */
  readStored(dataDir: string, storedPath: string): Promise<Buffer>;
  /** Replaces a stored object behind the server's back: a disk or bucket that altered it. */
  writeStored(dataDir: string, storedPath: string, bytes: Buffer): Promise<void>;
  /** Removes a stored object behind the server's back: a peer that lost it. */
  removeStored(dataDir: string, storedPath: string): Promise<void>;
  /** The size of a stored object, or undefined when there is none. */
  storedSize(dataDir: string, storedPath: string): Promise<number | undefined>;
  /** Every object below `folder` (`server-a/alice/backup`), as path below it → bytes: what the peer holds of a share. */
  storedFiles(dataDir: string, folder: string): Promise<Map<string, Buffer>>;
}

export function receiverStores(): ReceiverStore[] {
  const s3 = new LocalS3();
  const prefix = `receiver-${randomBytes(4).toString('hex')}`;
  const onS3 = async <T>(work: (objects: S3Objects, key: string) => Promise<T>, storedPath: string): Promise<T> => {
    const client = s3Client(s3.location(prefix));
    try {
      const objects = new S3Objects(client, s3.location(prefix));
      return await work(objects, objects.key(storedPath));
    } finally {
      client.destroy();
    }
  };
  const readObject = async (objects: S3Objects, key: string): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of (await objects.open(key)).stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const onDisk = (dataDir: string, storedPath: string) => path.join(dataDir, 'incoming', ...storedPath.split('/'));
  return [
    {
      name: 'fs',
      start: async () => ({}),
      stop: async () => undefined,
      readStored: (dataDir, storedPath) => readFile(onDisk(dataDir, storedPath)),
      writeStored: (dataDir, storedPath, bytes) => writeFile(onDisk(dataDir, storedPath), bytes),
      removeStored: (dataDir, storedPath) => rm(onDisk(dataDir, storedPath)),
      storedSize: async (dataDir, storedPath) => (await stat(onDisk(dataDir, storedPath)).catch(() => undefined))?.size,
      storedFiles: (dataDir, folder) => storedFiles(onDisk(dataDir, folder)),
    },
    {
      name: 's3',
      s3,
      start: async () => {
        await s3.start();
        return s3ConfigFlags(s3, prefix);
      },
      stop: () => s3.stop(),
      readStored: (_dataDir, storedPath) => onS3(readObject, storedPath),
      writeStored: (_dataDir, storedPath, bytes) => onS3((objects, key) => objects.put(key, bytes), storedPath),
      removeStored: (_dataDir, storedPath) => onS3((objects, key) => objects.delete(key), storedPath),
      storedSize: (_dataDir, storedPath) => onS3((objects, key) => objects.size(key), storedPath),
      storedFiles: (_dataDir, folder) =>
        onS3(async (objects, key) => {
          const found = new Map<string, Buffer>();
          for await (const object of objects.list(`${key}/`)) found.set(object.key.slice(key.length + 1), await readObject(objects, object.key));
          return found;
        }, folder),
    },
  ];
}

/** The flags that put a server's incoming store in `s3`'s bucket under `prefix` (endpoint overridable, for a proxy). */
export function s3ConfigFlags(s3: LocalS3, prefix: string, endpoint = s3.endpoint): ConfigSource {
  const location = s3.location(prefix);
  return {
    incomingStore: 's3',
    s3Endpoint: endpoint,
    s3Region: location.region,
    s3Bucket: location.bucket,
    s3Prefix: prefix,
    s3ForcePathStyle: 'true',
    s3AccessKeyId: location.accessKeyId,
    s3SecretAccessKey: location.secretAccessKey,
  };
}
