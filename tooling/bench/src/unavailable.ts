/** Thrown by a scenario whose layers are not there yet: the run reports a skip, not a failure. */
export class ScenarioUnavailable extends Error {
  override name = 'ScenarioUnavailable';
}
