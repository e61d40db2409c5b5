// The core, veth and qdisc entry points the commands drive, gathered in one object so a
// command (or a test) sees exactly what it uses.
import { allocSkb, consumeSkb, skbPut, skbReserve } from '@knet/skbuff';
import { createVirtualClock } from '@knet/softirq';
import { allocNet, devAddPack, devOpen, devQueueXmit, dropCountsByName, traceOff, traceOn } from '@knet/netdevice';
import { qdiscRegisterAll, tcQdiscReplace } from '@knet/qdisc';
import { vethNewLink } from '@knet/veth';

export const core = {
  createVirtualClock, allocNet, vethNewLink, devOpen, devAddPack, devQueueXmit, allocSkb, skbReserve,
  skbPut, consumeSkb, dropCountsByName, traceOn, traceOff, qdiscRegisterAll, tcQdiscReplace,
};

export type CoreApi = typeof core;
