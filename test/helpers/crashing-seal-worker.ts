/** A program for the small files' sealing thread that fails at its first job, as a thread that crashed would. */
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', () => {
  throw new Error('the sealing thread crashed on purpose');
});
