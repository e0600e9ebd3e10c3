// `npm run lab:server [-- options]`: the same as `dm-agent serve` (`dm-agent serve --help`, docs/cli.md).
import { runProcess } from '../cli.js';

await runProcess(['serve', ...process.argv.slice(2)]);
