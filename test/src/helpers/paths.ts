// Where the repository's binaries and scripts are, seen from the compiled tests.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const lodgedBin = join(repoRoot, 'bin', 'lodged');
export const lodgeBin = join(repoRoot, 'bin', 'lodge');
export const scriptsDir = join(repoRoot, 'scripts');
