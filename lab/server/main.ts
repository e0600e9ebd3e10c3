// `npm run lab:server [-- options]`: the same as `dm-agent serve` (`dm-agent serve --help` lists the options).
import { runProcess } from '../cli.js';

await runProcess(['serve', ...process.argv.slice(2)]);
