export { checkLayering, formatViolation, type Violation } from './check.js';
export { runtimeImports, type RuntimeImport } from './imports.js';
export { CORE_PACKAGES, EXEMPT_PACKAGES, allowedRuntime, knetPackageOf } from './rules.js';
