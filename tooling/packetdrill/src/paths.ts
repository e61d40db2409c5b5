// Where the packetdrill scripts live: beside the repository, never inside it (they are GPL data).
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (tooling/packetdrill/src → ../../..). */
export const repoRoot = resolve(here, '..', '..', '..');
/** This package's root. */
export const packageRoot = resolve(here, '..');

/** The packetdrill data directory: $KNET_PACKETDRILL_DIR or <repo>/../shared/packetdrill. */
export function packetdrillDir(): string {
  return process.env['KNET_PACKETDRILL_DIR'] ?? resolve(repoRoot, '..', 'shared', 'packetdrill');
}

/** The TCP suite root: <packetdrill>/google/tcp. */
export function tcpSuiteDir(): string {
  return join(packetdrillDir(), 'google', 'tcp');
}
