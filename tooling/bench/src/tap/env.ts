// Whether the TAP benchmarks can run here, and why not: they create namespaces, a TAP and a
// veth pair (root), drive them with python3, and turn the reference's offloads off with ethtool.
import { netnsSkipReason } from '@knet/tap/testing';
import { ScenarioUnavailable } from '../unavailable.js';

export const TAP_TOOLS = [['python3', '--version'], ['ethtool', '--version']] as const;

/** Throws ScenarioUnavailable with the reason when `reason()` gives one. */
export function requireTapEnv(reason: () => string | null = () => netnsSkipReason(TAP_TOOLS)): void {
  const why = reason();
  if (why !== null) throw new ScenarioUnavailable(why);
}
