/**
 * The local S3 server of BENCH_RECEIVER=s3 in a process of its own, so the
 * bench can read its CPU apart from server B's and from its own. Prints one
 * JSON line with the endpoint once it listens; SIGTERM stops it and removes
 * its objects. Usage: node --import tsx bench/lib/s3rver-main.ts <parent dir>
 */
import { LocalS3 } from '../../test/helpers/local-s3.js';

const s3 = new LocalS3();
await s3.start(process.argv[2]);
process.stdout.write(`${JSON.stringify({ endpoint: s3.endpoint, bucket: s3.bucket })}\n`);
process.once('SIGTERM', () => {
  void s3.stop().finally(() => process.exit(0));
});
