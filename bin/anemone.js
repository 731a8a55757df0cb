#!/usr/bin/env node
// The built CLI (npm run build). During development: npx tsx src/cli/main.ts

// libuv's pool runs the file system's calls; its default 4 threads are all held by
// fsyncs while a batch of small files is flushed. 16 cut the receiver's CPU per small
// file by about a tenth on the bench (bench/README.md). Set before the server's modules
// load; a value set by the administrator wins. Node 20 starts the pool while it loads
// this file, too early for this line: there the systemd unit sets it (contrib/anemone.service).
process.env.UV_THREADPOOL_SIZE ??= '16';

const { main } = await import('../dist/cli/main.js');

await main(process.argv);
