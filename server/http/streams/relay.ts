// Back-pressure between two sockets: a reader pauses while the writer it feeds has a full buffer.
import type { Duplex } from 'node:stream';

/**
 * Call when a write to `writer` returned false: pauses `reader` until `writer` drains. Idempotent while paused, so
 * a burst of refused writes registers one 'drain' listener, not one each.
 */
export function pauseUntilDrain(reader: Duplex, writer: Duplex): void {
  if (reader.isPaused()) return;
  reader.pause();
  writer.once('drain', () => reader.resume());
}
