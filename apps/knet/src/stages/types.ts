// A demo stage: one step of `knet demo` that adds one section to the human output and one key
// to the --json object. New stages (ping, udp, tcp, http) are one file each.
import type { OutStream } from '../io.js';

export interface StageResult<J = unknown> {
  /** The value under the stage's key in the --json object. */
  json: J;
  /** The section printed for people. */
  human: string;
  /** False when the stage saw something wrong (lost frames, a bad checksum); the demo exits 1. */
  ok: boolean;
}

export interface StageUi {
  /** Where progress bars draw (stderr under --json). */
  progressOut: OutStream;
}

export interface DemoStage<Lab, Opts> {
  /** Its key in the --json object. */
  key: string;
  title: string;
  run(lab: Lab, opts: Opts, ui: StageUi): Promise<StageResult>;
}
