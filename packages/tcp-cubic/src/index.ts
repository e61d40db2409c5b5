export { cubicOps, cubicParams, cubicRecalcParams } from './tcp_cubic.js';
