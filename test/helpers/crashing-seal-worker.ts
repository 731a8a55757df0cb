/** A program for a sealing thread (small files or large ones) that fails at its first message, as a thread that crashed would. */
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', () => {
  throw new Error('the sealing thread crashed on purpose');
});
