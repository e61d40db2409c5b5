// The 82576 register map and bit fields the model implements (datasheet ch. 8). Offsets are
// bytes into BAR0; per-queue registers of queues 0-3 sit at 0x2800/0x3800 + 0x100*n, the
// rest at 0xC000/0xE000 + 0x40*n.
export const CTRL = 0x0000, STATUS = 0x0008, CTRL_EXT = 0x0018;
export const ICR = 0x00c0, ICS = 0x00c8, IMS = 0x00d0, IMC = 0x00d8, IAM = 0x00e0;
export const RCTL = 0x0100, TCTL = 0x0400;
export const GPIE = 0x1514, EICS = 0x1520, EIMS = 0x1524, EIMC = 0x1528, EIAC = 0x152c,
  EIAM = 0x1530, EICR = 0x1580;
export const EITR0 = 0x1680, IVAR0 = 0x1700, IVAR_MISC = 0x1740;
export const RXCSUM = 0x5000, MTA = 0x5200, RAL0 = 0x5400, MRQC = 0x5818, RETA = 0x5c00,
  RSSRK = 0x5c80;
export const MTA_REGS = 128, RAR_ENTRIES = 24, RETA_REGS = 32, RSSRK_REGS = 10, IVAR_REGS = 8;

// Per-queue register offsets relative to the queue's block.
export const Q_BAL = 0x00, Q_BAH = 0x04, Q_LEN = 0x08, Q_SRRCTL = 0x0c, Q_HEAD = 0x10,
  Q_TAIL = 0x18, Q_DCTL = 0x28;
export const rxqBase = (n: number): number => (n < 4 ? 0x2800 + n * 0x100 : 0xc000 + n * 0x40);
export const txqBase = (n: number): number => (n < 4 ? 0x3800 + n * 0x100 : 0xe000 + n * 0x40);
/** RQDPC: per-queue receive drops (82576 §8.13). */
export const rqdpc = (n: number): number => 0xc030 + n * 0x40;

// Statistics (§8.19): clear on read; 64-bit octet counters clear when the high half is read.
export const CRCERRS = 0x4000, MPC = 0x4010, GPRC = 0x4074, BPRC = 0x4078, MPRC = 0x407c,
  GPTC = 0x4080, GORCL = 0x4088, GORCH = 0x408c, GOTCL = 0x4090, GOTCH = 0x4094, RNBC = 0x40a0,
  RUC = 0x40a4, ROC = 0x40ac, TORL = 0x40c0, TORH = 0x40c4, TOTL = 0x40c8, TOTH = 0x40cc,
  TPR = 0x40d0, TPT = 0x40d4, MPTC = 0x40f0, BPTC = 0x40f4, TSCTC = 0x40f8;
export const STATS_FIRST = 0x4000, STATS_LAST = 0x40fc;

export const CTRL_SLU = 1 << 6, CTRL_RST = 1 << 26, CTRL_DEV_RST = 1 << 29;
export const STATUS_FD = 1 << 0, STATUS_LU = 1 << 1, STATUS_SPEED_100 = 1 << 6,
  STATUS_SPEED_1000 = 1 << 7;
export const RCTL_EN = 1 << 1, RCTL_SBP = 1 << 2, RCTL_UPE = 1 << 3, RCTL_MPE = 1 << 4,
  RCTL_LPE = 1 << 5, RCTL_BAM = 1 << 15, RCTL_SECRC = 1 << 26;
export const TCTL_EN = 1 << 1, TCTL_PSP = 1 << 3;
export const ICR_TXDW = 1 << 0, ICR_LSC = 1 << 2, ICR_RXDMT0 = 1 << 4, ICR_RXO = 1 << 6,
  ICR_RXT0 = 1 << 7, ICR_INT_ASSERTED = 1 << 31;
export const GPIE_NSICR = 1 << 0, GPIE_MSIX_MODE = 1 << 4, GPIE_EIAME = 1 << 30,
  GPIE_PBA = 1 << 31;
export const IVAR_VALID = 0x80;
export const EITR_INTERVAL_MASK = 0x7ffc;
export const RXCSUM_IPOFL = 1 << 8, RXCSUM_TUOFL = 1 << 9, RXCSUM_PCSD = 1 << 13;
export const RAH_AV = 1 << 31;
export const MRQC_ENABLE_MASK = 0x7, MRQC_ENABLE_RSS_MQ = 0x2, MRQC_RSS_FIELD_IPV4_TCP = 1 << 16,
  MRQC_RSS_FIELD_IPV4 = 1 << 17, MRQC_RSS_FIELD_IPV4_UDP = 1 << 22;
export const SRRCTL_BSIZEPKT_MASK = 0x7f, SRRCTL_DESCTYPE_ADV_ONEBUF = 1 << 25,
  SRRCTL_DROP_EN = 1 << 31;
export const XDCTL_ENABLE = 1 << 25;

// Advanced RX descriptor write-back (§7.1.5.2).
export const RXD_STAT_DD = 1 << 0, RXD_STAT_EOP = 1 << 1, RXD_STAT_IXSM = 1 << 2,
  RXD_STAT_UDPCS = 1 << 4, RXD_STAT_TCPCS = 1 << 5, RXD_STAT_IPCS = 1 << 6,
  RXD_ERR_L4E = 1 << 29, RXD_ERR_IPE = 1 << 30;
export const RXD_PKTTYPE_IPV4 = 0x10, RXD_PKTTYPE_TCP = 0x100, RXD_PKTTYPE_UDP = 0x200;
export const RXD_RSSTYPE_IPV4_TCP = 0x1, RXD_RSSTYPE_IPV4 = 0x2, RXD_RSSTYPE_IPV4_UDP = 0x7;

// Advanced TX descriptors (§7.2.2).
export const TXD_DTYP_MASK = 0xf << 20, TXD_DTYP_CTXT = 0x2 << 20, TXD_DTYP_DATA = 0x3 << 20;
export const TXD_DCMD_EOP = 1 << 24, TXD_DCMD_IFCS = 1 << 25, TXD_DCMD_RS = 1 << 27,
  TXD_DCMD_DEXT = 1 << 29, TXD_DCMD_VLE = 1 << 30, TXD_DCMD_TSE = 1 << 31;
export const TXD_STAT_DD = 1 << 0, TXD_POPTS_IXSM = 1 << 8, TXD_POPTS_TXSM = 1 << 9,
  TXD_PAYLEN_SHIFT = 14;
export const TXD_TUCMD_IPV4 = 1 << 10, TXD_TUCMD_L4T_TCP = 1 << 11, TXD_TUCMD_L4T_SCTP = 1 << 12;
export const TXD_MACLEN_SHIFT = 9, TXD_L4LEN_SHIFT = 8, TXD_MSS_SHIFT = 16;
