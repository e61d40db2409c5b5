// Register offsets of the 82575/82576 family, as drivers/net/ethernet/intel/igb/e1000_regs.h.
export const E1000_CTRL = 0x0000, E1000_STATUS = 0x0008, E1000_CTRL_EXT = 0x0018;
export const E1000_ICR = 0x00c0, E1000_ICS = 0x00c8, E1000_IMS = 0x00d0, E1000_IMC = 0x00d8;
export const E1000_RCTL = 0x0100, E1000_TCTL = 0x0400;
export const E1000_GPIE = 0x1514, E1000_EICS = 0x1520, E1000_EIMS = 0x1524, E1000_EIMC = 0x1528,
  E1000_EIAC = 0x152c, E1000_EIAM = 0x1530, E1000_EICR = 0x1580;
export const E1000_EITR = (n: number): number => 0x1680 + (n << 2);
export const E1000_IVAR0 = 0x1700, E1000_IVAR_MISC = 0x1740;
export const E1000_RXCSUM = 0x5000, E1000_MTA = 0x5200, E1000_MRQC = 0x5818;
export const E1000_RAL = (n: number): number => 0x5400 + (n << 3);
export const E1000_RAH = (n: number): number => 0x5404 + (n << 3);
export const E1000_RETA = (n: number): number => 0x5c00 + (n << 2);
export const E1000_RSSRK = (n: number): number => 0x5c80 + (n << 2);

// Queues 0-3 have a legacy alias; the driver uses the full map for every queue.
const rxq = (n: number): number => (n < 4 ? 0x2800 + n * 0x100 : 0xc000 + n * 0x40);
const txq = (n: number): number => (n < 4 ? 0x3800 + n * 0x100 : 0xe000 + n * 0x40);
export const E1000_RDBAL = (n: number): number => rxq(n);
export const E1000_RDBAH = (n: number): number => rxq(n) + 0x04;
export const E1000_RDLEN = (n: number): number => rxq(n) + 0x08;
export const E1000_SRRCTL = (n: number): number => rxq(n) + 0x0c;
export const E1000_RDH = (n: number): number => rxq(n) + 0x10;
export const E1000_RDT = (n: number): number => rxq(n) + 0x18;
export const E1000_RXDCTL = (n: number): number => rxq(n) + 0x28;
export const E1000_RQDPC = (n: number): number => 0xc030 + n * 0x40;
export const E1000_TDBAL = (n: number): number => txq(n);
export const E1000_TDBAH = (n: number): number => txq(n) + 0x04;
export const E1000_TDLEN = (n: number): number => txq(n) + 0x08;
export const E1000_TDH = (n: number): number => txq(n) + 0x10;
export const E1000_TDT = (n: number): number => txq(n) + 0x18;
export const E1000_TXDCTL = (n: number): number => txq(n) + 0x28;

// Statistics: clear on read (the high half for 64-bit octet counters).
export const E1000_CRCERRS = 0x4000, E1000_MPC = 0x4010, E1000_GPRC = 0x4074,
  E1000_BPRC = 0x4078, E1000_MPRC = 0x407c, E1000_GPTC = 0x4080, E1000_GORCL = 0x4088,
  E1000_GORCH = 0x408c, E1000_GOTCL = 0x4090, E1000_GOTCH = 0x4094, E1000_RNBC = 0x40a0,
  E1000_RUC = 0x40a4, E1000_ROC = 0x40ac, E1000_TPR = 0x40d0, E1000_TPT = 0x40d4,
  E1000_MPTC = 0x40f0, E1000_BPTC = 0x40f4, E1000_TSCTC = 0x40f8;
