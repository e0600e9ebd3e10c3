#!/usr/bin/env node
// Entry of the dm-agent command: the CLI is TypeScript, run through tsx (a dev dependency of this repo).
import { register } from 'tsx/esm/api';
register();
const { runProcess } = await import('../cli.ts');
await runProcess(process.argv.slice(2));
