#!/usr/bin/env node
// The built CLI (npm run build). During development: npx tsx src/cli/main.ts
import { main } from '../dist/cli/main.js';

await main(process.argv);
