// Human units: bytes in binary multiples, rates in decimal bits per second (as link speeds are).

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const s = u === 0 ? String(v) : v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2);
  return `${n < 0 ? '-' : ''}${s} ${BYTE_UNITS[u]}`;
}

const RATE_UNITS = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];

/** `bytesPerSec` → "9.41 Gbit/s". */
export function formatRate(bytesPerSec: number): string {
  if (!Number.isFinite(bytesPerSec)) return String(bytesPerSec);
  let v = Math.abs(bytesPerSec * 8);
  let u = 0;
  while (v >= 1000 && u < RATE_UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  return `${bytesPerSec < 0 ? '-' : ''}${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${RATE_UNITS[u]}`;
}

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
