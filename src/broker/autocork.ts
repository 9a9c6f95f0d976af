import type { Socket } from 'node:net';

/**
 * Coalesces what is written to a client socket within one event-loop turn into one `writev`.
 * Aedes writes every packet separately (mqtt-packet corks only within one packet), so without
 * this each delivered trade costs a system call of its own, a large share of the broker's CPU at
 * tens of thousands of trades a second. The added delay is one loop turn (no timer); Nagle stays
 * off (TCP_NODELAY), so nothing waits for an acknowledgement.
 */
export function autocork(socket: Socket): void {
  const write = socket.write;
  let corked = false;
  const flush = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
    if (!corked) {
      corked = true;
      this.cork();
      setImmediate(flush);
    }
    return write.apply(this, args as Parameters<typeof write>);
  } as Socket['write'];
}
