import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import type { S3Location } from '../../src/config/config.js';

/**
 * A real S3-protocol server (s3rver) on loopback, its objects in a
 * temporary folder, with one bucket: what the S3 incoming store talks to in
 * tests. s3rver accepts the access key S3RVER / S3RVER.
 */
export class LocalS3 {
  private server: S3rver | undefined;
  private dir: string | undefined;
  endpoint = '';
  readonly bucket = 'anemone';

  /** `parentDir`: where its objects' folder goes (the OS temp dir unless set; the bench puts it beside the set's data). */
  async start(parentDir: string = os.tmpdir()): Promise<void> {
    this.dir = await mkdtemp(path.join(parentDir, 'anemone-s3rver-'));
    this.server = new S3rver({ address: '127.0.0.1', port: 0, directory: this.dir, silent: true, configureBuckets: [{ name: this.bucket }] });
    const address = await this.server.run();
    this.endpoint = `http://127.0.0.1:${address.port}`;
  }

  /** Where a store writes: this server's bucket under `prefix`. */
  location(prefix: string): S3Location {
    return { endpoint: this.endpoint, region: 'us-east-1', bucket: this.bucket, prefix, forcePathStyle: true, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  }

  async stop(): Promise<void> {
    await this.server?.close();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
