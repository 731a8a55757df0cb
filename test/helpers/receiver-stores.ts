import { randomBytes } from 'node:crypto';
import type { ConfigSource } from '../../src/config/config.js';
import { LocalS3 } from './local-s3.js';

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
}

export function receiverStores(): ReceiverStore[] {
  const s3 = new LocalS3();
  return [
    { name: 'fs', start: async () => ({}), stop: async () => undefined },
    {
      name: 's3',
      s3,
      start: async () => {
        await s3.start();
        return s3ConfigFlags(s3, `receiver-${randomBytes(4).toString('hex')}`);
      },
      stop: () => s3.stop(),
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
