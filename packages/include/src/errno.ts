// uapi/asm-generic/errno-base.h and errno.h: the values Linux returns, negated at call sites.
export const EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7,
  EBADF = 9, EAGAIN = 11, EWOULDBLOCK = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16,
  EEXIST = 17, ENODEV = 19, ENOTDIR = 20, EINVAL = 22, ENFILE = 23, EMFILE = 24, ENOSPC = 28,
  EPIPE = 32, EDOM = 33, ERANGE = 34, ENOSYS = 38, ENOTEMPTY = 39, ENOPROTOOPT = 92,
  ENODATA = 61, ETIME = 62, EPROTO = 71, EBADMSG = 74, EOVERFLOW = 75, EMSGSIZE = 90,
  EDESTADDRREQ = 89, ENOTSOCK = 88, EPROTOTYPE = 91, EPROTONOSUPPORT = 93,
  ESOCKTNOSUPPORT = 94, EOPNOTSUPP = 95, EPFNOSUPPORT = 96, EAFNOSUPPORT = 97, EADDRINUSE = 98,
  EADDRNOTAVAIL = 99, ENETDOWN = 100, ENETUNREACH = 101, ENETRESET = 102, ECONNABORTED = 103,
  ECONNRESET = 104, ENOBUFS = 105, EISCONN = 106, ENOTCONN = 107, ESHUTDOWN = 108,
  ETIMEDOUT = 110, ECONNREFUSED = 111, EHOSTDOWN = 112, EHOSTUNREACH = 113, EALREADY = 114,
  EINPROGRESS = 115, ECANCELED = 125;

const NAMES: Record<number, string> = {
  [EPERM]: 'EPERM', [ENOENT]: 'ENOENT', [ESRCH]: 'ESRCH', [EINTR]: 'EINTR', [EIO]: 'EIO',
  [ENXIO]: 'ENXIO', [E2BIG]: 'E2BIG', [EBADF]: 'EBADF', [EAGAIN]: 'EAGAIN', [ENOMEM]: 'ENOMEM',
  [EACCES]: 'EACCES', [EFAULT]: 'EFAULT', [EBUSY]: 'EBUSY', [EEXIST]: 'EEXIST', [ENODEV]: 'ENODEV',
  [ENOTDIR]: 'ENOTDIR', [EINVAL]: 'EINVAL', [ENFILE]: 'ENFILE', [EMFILE]: 'EMFILE',
  [ENOSPC]: 'ENOSPC', [EPIPE]: 'EPIPE', [EDOM]: 'EDOM', [ERANGE]: 'ERANGE', [ENOSYS]: 'ENOSYS',
  [ENOTEMPTY]: 'ENOTEMPTY', [ENOPROTOOPT]: 'ENOPROTOOPT', [ENODATA]: 'ENODATA', [ETIME]: 'ETIME',
  [EPROTO]: 'EPROTO', [EBADMSG]: 'EBADMSG', [EOVERFLOW]: 'EOVERFLOW', [EMSGSIZE]: 'EMSGSIZE',
  [EDESTADDRREQ]: 'EDESTADDRREQ', [ENOTSOCK]: 'ENOTSOCK', [EPROTOTYPE]: 'EPROTOTYPE',
  [EPROTONOSUPPORT]: 'EPROTONOSUPPORT', [ESOCKTNOSUPPORT]: 'ESOCKTNOSUPPORT',
  [EOPNOTSUPP]: 'EOPNOTSUPP', [EPFNOSUPPORT]: 'EPFNOSUPPORT', [EAFNOSUPPORT]: 'EAFNOSUPPORT',
  [EADDRINUSE]: 'EADDRINUSE', [EADDRNOTAVAIL]: 'EADDRNOTAVAIL', [ENETDOWN]: 'ENETDOWN',
  [ENETUNREACH]: 'ENETUNREACH', [ENETRESET]: 'ENETRESET', [ECONNABORTED]: 'ECONNABORTED',
  [ECONNRESET]: 'ECONNRESET', [ENOBUFS]: 'ENOBUFS', [EISCONN]: 'EISCONN', [ENOTCONN]: 'ENOTCONN',
  [ESHUTDOWN]: 'ESHUTDOWN', [ETIMEDOUT]: 'ETIMEDOUT', [ECONNREFUSED]: 'ECONNREFUSED',
  [EHOSTDOWN]: 'EHOSTDOWN', [EHOSTUNREACH]: 'EHOSTUNREACH', [EALREADY]: 'EALREADY',
  [EINPROGRESS]: 'EINPROGRESS', [ECANCELED]: 'ECANCELED',
};

/** 'ECONNRESET' for 104 or -104. */
export function errnoName(err: number): string {
  return NAMES[Math.abs(err)] ?? `E${Math.abs(err)}`;
}

/** An Error that carries the Linux errno, as Node's system errors do (`code`, `errno`). */
export class ErrnoError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string | undefined;
  constructor(err: number, syscall?: string, detail?: string) {
    const code = errnoName(err);
    super(`${syscall ? syscall + ' ' : ''}${code}${detail ? ' ' + detail : ''}`);
    this.name = 'ErrnoError';
    this.code = code;
    this.errno = -Math.abs(err);
    this.syscall = syscall;
  }
}
