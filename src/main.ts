#!/usr/bin/env node
// The process entry: the events-service command line (npm start runs `serve`).
import { runCli } from './cli/commands.ts';

const code = await runCli(process.argv.slice(2));
if (process.argv[2] !== 'serve') process.exit(code);
else if (code !== 0) process.exit(code);
