// Entry point for development (`npm run anemone -- serve`); the installed `anemone` runs bin/anemone.js.
import { main } from './main.js';

await main(process.argv);
