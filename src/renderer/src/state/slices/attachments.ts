// Files picked for a composer's next message: checked against the server's limits, uploaded at
// once with progress (through an injected uploader), cancellable.
import { DEFAULT_MAX_FILE_BYTES, formatBytes } from '../../../../shared/files';
import { MAX_FILES_PER_MESSAGE } from '../../../../shared/protocol';
import { composerKey, type PendingFile } from '../chat-state';
import { describe } from '../invoke';
import { Slice, type SliceContext } from './slice';

/**
 * How files get to the server: the page's chunked transfer through the core
 * (features/files/transfers.ts), passed in so that the state layer imports no feature.
 */
export interface Uploader {
  /** A small preview of an image, made in the page; undefined for anything else. */
  preview(file: Blob): Promise<{ width: number; height: number; preview: Blob } | undefined>;
  upload(
    conversation: string,
    file: Blob,
    name: string,
    onProgress: (sent: number) => void,
    signal: AbortSignal,
  ): Promise<{ fileId: string; name: string; type: string; size: number }>;
  /** Whether a failure is the user's cancel, not something to show. */
  cancelled(err: unknown): boolean;
}

export class AttachmentsSlice extends Slice {
  /** Uploads running, by PendingFile id: cancelling one aborts it. */
  private readonly uploads = new Map<string, AbortController>();
  /** Told when a composer has no upload running any more (a waiting send may go). */
  onSettled: ((composer: string) => void) | undefined;

  constructor(
    ctx: SliceContext,
    private readonly uploader: Uploader,
  ) {
    super(ctx);
  }

  /**
   * Picks files for a composer's next message and starts uploading them at once. Files past the
   * server's size limit, or past 10 a message, are shown refused with the reason.
   */
  attach(conversation: string, files: readonly File[], thread?: string): void {
    const key = composerKey(conversation, thread);
    const status = this.state.status;
    const limit =
      (status?.state === 'online' ? status.limits?.maxFileBytes : undefined) ??
      DEFAULT_MAX_FILE_BYTES;
    const list = [...(this.state.attachments.get(key) ?? [])];
    for (const f of files) {
      const item: PendingFile = {
        id: crypto.randomUUID(),
        name: f.name || 'pasted file',
        size: f.size,
        type: f.type,
        sent: 0,
        state: 'uploading',
      };
      const kept = list.filter((a) => a.state !== 'failed').length;
      if (f.size > limit) {
        item.state = 'failed';
        item.error = `${formatBytes(f.size)}: files are at most ${formatBytes(limit)}.`;
      } else if (kept >= MAX_FILES_PER_MESSAGE) {
        item.state = 'failed';
        item.error = `At most ${MAX_FILES_PER_MESSAGE} files go with one message.`;
      }
      list.push(item);
      if (item.state === 'uploading') void this.runUpload(key, conversation, item, f);
    }
    this.put(key, list);
  }

  /** Stops an upload (or forgets a file) picked for a composer. */
  remove(composer: string, id: string): void {
    this.uploads.get(id)?.abort();
    this.uploads.delete(id);
    const list = (this.state.attachments.get(composer) ?? []).filter((a) => a.id !== id);
    this.put(composer, list);
  }

  private async runUpload(key: string, conversation: string, item: PendingFile, f: File) {
    const abort = new AbortController();
    this.uploads.set(item.id, abort);
    const patch = (p: Partial<PendingFile>) => {
      const list = this.state.attachments.get(key) ?? [];
      if (!list.some((a) => a.id === item.id)) return;
      this.put(
        key,
        list.map((a) => (a.id === item.id ? { ...a, ...p } : a)),
      );
    };
    try {
      const preview = await this.uploader.preview(f);
      // A pasted screenshot shows in the tray at once, before it is sent (UX-3 gap 10).
      if (preview) patch({ previewUrl: URL.createObjectURL(preview.preview) });
      const main = await this.uploader.upload(
        conversation,
        f,
        item.name,
        (sent) => patch({ sent }),
        abort.signal,
      );
      const thumb = preview
        ? await this.uploader.upload(
            conversation,
            preview.preview,
            `preview of ${item.name}`.slice(0, 255),
            () => undefined,
            abort.signal,
          )
        : undefined;
      patch({
        state: 'ready',
        sent: item.size,
        file: {
          fileId: main.fileId,
          name: main.name,
          type: main.type,
          size: main.size,
          ...(preview ? { width: preview.width, height: preview.height } : {}),
          ...(thumb ? { thumbFileId: thumb.fileId } : {}),
        },
      });
    } catch (err) {
      if (this.uploader.cancelled(err)) return;
      patch({ state: 'failed', error: describe(err).message });
    } finally {
      this.uploads.delete(item.id);
    }
  }

  put(key: string, list: readonly PendingFile[]): void {
    // Previews of files leaving the tray (sent, removed) are let go.
    for (const old of this.state.attachments.get(key) ?? []) {
      if (old.previewUrl && !list.some((a) => a.previewUrl === old.previewUrl)) {
        URL.revokeObjectURL(old.previewUrl);
      }
    }
    const attachments = new Map(this.state.attachments);
    if (list.length) attachments.set(key, list);
    else attachments.delete(key);
    this.set({ attachments });
    if (!list.some((a) => a.state === 'uploading')) this.onSettled?.(key);
  }

  /** Stops every upload (the store is going away). */
  dispose(): void {
    for (const a of this.uploads.values()) a.abort();
    this.uploads.clear();
  }
}
