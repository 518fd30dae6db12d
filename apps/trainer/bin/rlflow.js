#!/usr/bin/env node
// The `rlflow` command. Sources are TypeScript, loaded through tsx so a fresh clone runs without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
