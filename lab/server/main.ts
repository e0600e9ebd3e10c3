// `npm run lab:server [-- options]`: the same as `dm-agent serve` (see lab/commands/serve.ts for the options).
import { main } from '../cli.js';

process.exitCode = await main(['serve', ...process.argv.slice(2)]);
