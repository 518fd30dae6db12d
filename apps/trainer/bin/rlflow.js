#!/usr/bin/env node
// The `rlflow` command. Sources are TypeScript, loaded through tsx so a fresh clone runs without a build step.
// The explicit exit ends the wasm backend's pthread workers, which would otherwise keep Node alive.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exit(await main(process.argv.slice(2)));
