export * from './socket.js';
export * from './af_inet.js';
export * from './sock_opt.js';
export * from './ip_sockglue.js';
export * from './wait.js';
export * from './poll.js';
export * from './eventpoll.js';
export * from './task.js';
