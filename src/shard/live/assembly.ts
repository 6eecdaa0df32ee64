import type { PushHeader } from "../../formats/live-frames";
import { LIVE_ASSEMBLY_BUDGET_BYTES } from "../../limits";
import { refuse } from "../../problems";

/** A chunked push being put together: the header of its chunk 0 and the floats so far. */
interface Assembly {
  header: PushHeader;
  floats: Float32Array<ArrayBuffer>;
  filled: number;
  next: number;
}

/**
 * Chunked pushes (docs/live.md): a gradient larger than a frame comes as chunks 0..count-1 of one
 * key, in order, on one socket, each appended to a buffer of its announced length; the last one
 * hands the whole gradient on, to be applied as one push. One chunked push at a time per socket,
 * and all of a shard's sockets together hold at most LIVE_ASSEMBLY_BUDGET_BYTES. Memory only: a
 * reconnect, or the shard's eviction, loses a partial push, and its next chunk is refused.
 */
export class Assemblies {
  private readonly open = new Map<string, Assembly>();
  private bytes = 0;

  /** Adds a chunk of the socket's push; answers the whole push once its last chunk came. */
  add(socket: string, header: PushHeader, payload: Float32Array): { header: PushHeader; gradient: ArrayBuffer } | undefined {
    const chunk = header.chunk!;
    let assembly = this.open.get(socket);
    if (chunk.index === 0) {
      if (assembly) refuse("invalid-frame", `the chunked push '${assembly.header.key}' is under way on this session (chunk ${assembly.next} of ${assembly.header.chunk!.count} is next): finish it before another starts`);
      if (this.bytes + chunk.length * 4 > LIVE_ASSEMBLY_BUDGET_BYTES) {
        refuse("live-backlog", `the shard assembles chunked pushes of ${this.bytes} bytes already and holds at most ${LIVE_ASSEMBLY_BUDGET_BYTES}: resend this push once an answer has come`, { retry_after: 1 });
      }
      assembly = { header, floats: new Float32Array(chunk.length), filled: 0, next: 0 };
      this.open.set(socket, assembly);
      this.bytes += chunk.length * 4;
    }
    if (!assembly) refuse("invalid-frame", `chunk ${chunk.index} of '${header.key}' came without chunk 0 on this session (after a reconnect, or once the shard slept, a chunked push starts again at chunk 0)`);
    const started = assembly.header;
    const mismatch =
      started.key !== header.key ? `it is of '${header.key}', not of '${started.key}' under way` :
      chunk.index !== assembly.next ? `chunk ${assembly.next} was next, not ${chunk.index}` :
      chunk.count !== started.chunk!.count || chunk.length !== started.chunk!.length ? "its count or length differ from chunk 0's" :
      assembly.filled + payload.length > chunk.length ? `its floats overrun the announced length ${chunk.length}` :
      chunk.index === chunk.count - 1 && assembly.filled + payload.length !== chunk.length ? `the chunks hold ${assembly.filled + payload.length} floats, not the announced ${chunk.length}` :
      undefined;
    if (mismatch) {
      this.drop(socket);
      refuse("invalid-frame", `chunk ${chunk.index} of '${header.key}' is refused: ${mismatch}; the push is dropped: send it again from chunk 0`);
    }
    assembly.floats.set(payload, assembly.filled);
    assembly.filled += payload.length;
    assembly.next += 1;
    if (assembly.next < chunk.count) return undefined;
    this.drop(socket);
    return { header: started, gradient: assembly.floats.buffer };
  }

  /** Forgets the socket's partial push (it closed, or its push was refused). */
  drop(socket: string): void {
    const assembly = this.open.get(socket);
    if (!assembly) return;
    this.bytes -= assembly.floats.byteLength;
    this.open.delete(socket);
  }
}
