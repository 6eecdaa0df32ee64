import { readSafetensorsStream } from "../../formats/safetensors-stream";
import { MAX_STATE_BODY_BYTES } from "../../limits";
import { refuse } from "../../problems";
import { ensureChangedBy } from "../ownership";
import type { Ledger } from "../pushes/ledger";
import { HEX } from "../../formats/hex";
import type { LedgerEntry } from "../pushes/ledger-key";
import type { Rounds } from "../rounds/rounds";
import { saveMeta } from "../store/meta";
import type { ShardStore } from "../store/store";
import type { Via } from "../types";
import { exportState, type StateExport } from "./export";
import { sameLayout, stateLayout } from "./layout";
import { checkStateHeader, clearStaging, promoteStaged, refuseMalformed, StagedState } from "./staging";

/** What an import asks beside its body. */
export interface StateImportRequest {
  ifMatch?: number;
  idempotencyKey?: string;
  /** The token's subject: Idempotency-Keys are scoped to it, as a push's are. */
  subject?: string;
}

/** The shard after an import (or, replayed, after the import its Idempotency-Key made). */
export interface StateImportResult {
  version: number;
  revision: number;
  step: number;
  replayed: boolean;
}

/**
 * The shard's optimizer state in and out (docs/state.md): the export streams it (export.ts); an
 * import stages the file's vectors page by page as it streams (staging.ts), then in one
 * transaction moves them into place with the step, the scalars, the new version and revision and
 * the Idempotency-Key's record. A refusal or a failure at any point leaves the shard as it was.
 */
export class StateIO {
  private importing = false;

  constructor(
    private readonly store: ShardStore,
    private readonly ledger: Ledger,
    private readonly rounds: Rounds,
    private readonly drained: () => Promise<void>,
  ) {}

  export(): StateExport {
    return exportState(this.store);
  }

  async import(body: ReadableStream<Uint8Array>, req: StateImportRequest, via: Via): Promise<StateImportResult> {
    const { store } = this;
    const first = store.existing();
    ensureChangedBy(first.meta, via, "import its state");
    if (this.importing) refuse("import-under-way", "another import of this shard's state is under way; send this one once it has finished");
    this.importing = true;
    try {
      clearStaging(store.sql);
      const layout = stateLayout(first);
      const staged = new StagedState(store.sql, layout, first.meta.config.page_floats);
      const hashing = req.idempotencyKey === undefined ? undefined : hashed(body);
      const header = await readSafetensorsStream(hashing?.stream ?? body, MAX_STATE_BODY_BYTES, (h) => {
        checkStateHeader(h, layout, first.meta.config.rule);
        return staged.sink(h);
      }).catch(refuseMalformed);
      const { step, scalars } = staged.numbersOf(header);
      // The body alone: a retry is the same file, whatever If-Match it carries (a model's retry sends the ETag it had, now stale).
      const entry: LedgerEntry | undefined =
        req.idempotencyKey === undefined ? undefined : { key: `${req.subject ?? ""}\n${req.idempotencyKey}`, fingerprint: `state:${await hashing!.digest()}` };
      await this.drained();
      // From here on synchronous: nothing else runs between the checks and the commit.
      const resident = store.existing();
      const { meta } = resident;
      if (entry) {
        const previous = this.ledger.recall(entry) as unknown as Omit<StateImportResult, "replayed"> | undefined;
        if (previous) return { ...previous, replayed: true };
      }
      ensureChangedBy(meta, via, "import its state");
      if (!sameLayout(stateLayout(resident), layout)) refuse("config-conflict", "the shard was replaced while its state was being imported; send the file again");
      if (req.ifMatch === undefined && meta.version > 0) {
        refuse("precondition-failed", `training has started (version ${meta.version}): send If-Match with the current ETag to replace its state`, { revision: meta.revision, version: meta.version });
      }
      if (req.ifMatch !== undefined && req.ifMatch !== meta.revision) {
        refuse("precondition-failed", `If-Match names revision ${req.ifMatch}; the shard is at revision ${meta.revision}`, { revision: meta.revision, version: meta.version });
      }
      this.rounds.ensureNoneWaiting(resident, "import a state");
      const result = { version: meta.version + 1, revision: meta.revision + 1, step };
      store.commit(() => {
        promoteStaged(store.sql, layout);
        Object.assign(meta, { ...result, scalars, scheduleOrigin: Math.min(meta.scheduleOrigin, step), updatedAt: store.now() });
        saveMeta(store.db, meta);
        if (entry) this.ledger.record([{ ...entry, summary: result as never, at: meta.updatedAt }]);
      });
      // The resident vectors still hold the state before the import: rebuild them from the pages.
      store.reload();
      return { ...result, replayed: false };
    } finally {
      this.importing = false;
      clearStaging(store.sql);
    }
  }
}

/** The body passed on as it is read, its SHA-256 taken on the way (the Idempotency-Key's fingerprint). */
function hashed(body: ReadableStream<Uint8Array>): { stream: ReadableStream<Uint8Array>; digest: () => Promise<string> } {
  const digest = new crypto.DigestStream("SHA-256");
  const writer = digest.getWriter();
  const stream = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      async transform(chunk, controller) {
        await writer.write(chunk);
        controller.enqueue(chunk);
      },
    }),
  );
  return {
    stream,
    digest: async () => {
      await writer.close();
      let hex = "";
      for (const byte of new Uint8Array(await digest.digest)) hex += HEX[byte];
      return hex;
    },
  };
}
