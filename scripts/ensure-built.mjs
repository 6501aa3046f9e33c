// Makes `npm start` and `npm test` work on a fresh clone: installs dependencies when
// node_modules is missing, then compiles TypeScript when the build is missing (or always with --force).
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const run = (command) => execSync(command, { stdio: 'inherit' });
if (!existsSync('node_modules/typescript')) run(existsSync('package-lock.json') ? 'npm ci' : 'npm install');
if (process.argv.includes('--force') || !existsSync('dist/src/cli/index.js')) run('npx tsc -p tsconfig.json');
