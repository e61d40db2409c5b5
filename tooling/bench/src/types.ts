// The shapes of the bench harness: scenarios, references and what a run reports.

/** 'higher': rates (frames/s, Gbit/s). 'lower': costs (bytes, ns). */
export type Direction = 'higher' | 'lower';

export interface Measurement {
  value: number;
  unit: string;
}

/** A figure measured once per run and shared by every scenario that compares against it. */
export interface Reference {
  name: string;
  unit: string;
  direction: Direction;
  summary: string;
  /** Measured only with --tap (and then only if it can be: ScenarioUnavailable skips it). */
  needsTap?: boolean;
  measure(ctx: BenchContext): Promise<number>;
}

export interface BenchContext {
  /** --tap was given: scenarios that need a TAP device may run. */
  tap: boolean;
  /** A progress line on stderr. */
  log(msg: string): void;
  /** The value of a reference, measured on first use and cached for the run. */
  reference(name: string): Promise<number>;
}

export interface ScenarioOutcome {
  value: number;
  /** Overrides the scenario's declared reference (a figure measured inline). */
  reference?: number;
  referenceName?: string;
}

export interface Scenario {
  name: string;
  unit: string;
  direction: Direction;
  summary: string;
  /** Name of a registered Reference this scenario's ratio is taken against. */
  reference?: string;
  needsTap?: boolean;
  run(ctx: BenchContext): Promise<ScenarioOutcome>;
}

/** One row of the report. ratio > 1 always means better than the reference. */
export interface Row {
  name: string;
  value: number;
  unit: string;
  direction: Direction;
  reference: number | null;
  referenceName: string | null;
  ratio: number | null;
}

/** The --json shape: scenario name → its figures. */
export type JsonReport = Record<string, { value: number; unit: string; reference: number | null; ratio: number | null }>;
