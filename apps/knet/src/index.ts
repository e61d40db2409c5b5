export { runCli } from './main.js';
export { parseArgs, intFlag, ArgError, type ArgSpec, type ParsedArgs } from './args.js';
export { COMMANDS, findCommand } from './commands/index.js';
export type { Command } from './commands/types.js';
export { bufferIo, processIo, type Io, type OutStream } from './io.js';
export { formatTable, formatKeyValues, type Column } from './ui/table.js';
export { createProgress, renderBar, type Progress } from './ui/progress.js';
export { formatBytes, formatRate, formatCount } from './ui/units.js';
export { createOutput, type Output } from './ui/output.js';
