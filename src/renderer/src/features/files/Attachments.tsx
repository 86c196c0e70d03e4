// A message's files: images as their preview (opening a viewer), anything else as a card with
// its name and size and a Download button that shows its progress and can be cancelled.
import { memo, useEffect, useRef, useState } from 'react';
import { MAX_THUMBNAIL_BYTES } from '../../../../shared/files';
import type { MessageFile } from '../../../../shared/protocol';
import { describe } from '../../state/chat-store';
import { useChatStore } from '../../state/use-store';
import { Dialog } from '../../ui/Dialog';
import { Icon } from '../../ui/Icon';
import {
  downloadFile,
  fileUrl,
  formatBytes,
  IMAGE_TYPES,
  saveBlob,
  TransferCancelled,
} from './transfers';

export const MessageFiles = memo(function MessageFiles({ files }: { files: MessageFile[] }) {
  const [viewing, setViewing] = useState<MessageFile | null>(null);
  return (
    <ul className="message-files" aria-label="Files">
      {files.map((f) => (
        <li key={f.fileId}>
          {IMAGE_TYPES.has(f.type) && f.thumbFileId ? (
            <ImagePreview file={f} onOpen={() => setViewing(f)} />
          ) : (
            <FileCard file={f} />
          )}
        </li>
      ))}
      {viewing && <ImageViewer file={viewing} onClose={() => setViewing(null)} />}
    </ul>
  );
});

/** The small preview the sender made, at its own proportions; opens the viewer. */
function ImagePreview({ file, onOpen }: { file: MessageFile; onOpen: () => void }) {
  const store = useChatStore();
  const [url, setUrl] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    fileUrl(store, file.thumbFileId!, MAX_THUMBNAIL_BYTES)
      .then((u) => live && setUrl(u))
      .catch(() => live && setFailed(true));
    return () => {
      live = false;
    };
  }, [store, file.thumbFileId]);
  if (failed) return <FileCard file={file} />;
  const ratio = file.width && file.height ? file.width / file.height : 4 / 3;
  return (
    <button
      type="button"
      className="image-preview"
      aria-label={`Open the image ${file.name} (${formatBytes(file.size)})`}
      onClick={onOpen}
      style={{ aspectRatio: String(ratio) }}
    >
      {url ? <img src={url} alt="" /> : <span className="hint">Loading {file.name}…</span>}
    </button>
  );
}

function useDownload(file: MessageFile) {
  const store = useChatStore();
  const [progress, setProgress] = useState<number | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);
  async function start() {
    abort.current = new AbortController();
    setProblem(null);
    setSaved(false);
    setProgress(0);
    try {
      const blob = await downloadFile(
        store,
        file.fileId,
        (received, size) => setProgress(size > 0 ? received / size : 0),
        abort.current.signal,
      );
      saveBlob(blob, file.name);
      setSaved(true);
    } catch (err) {
      if (!(err instanceof TransferCancelled)) setProblem(describe(err).message);
    } finally {
      setProgress(null);
      abort.current = null;
    }
  }
  return { progress, problem, saved, start, cancel: () => abort.current?.abort() };
}

function FileCard({ file }: { file: MessageFile }) {
  const d = useDownload(file);
  return (
    <div className="file-card">
      <Icon name="file" />
      <span className="file-name">{file.name}</span>
      <span className="hint">{formatBytes(file.size)}</span>
      {d.progress === null ? (
        <button
          type="button"
          className="secondary small"
          aria-label={`Download ${file.name}`}
          onClick={() => void d.start()}
        >
          Download
        </button>
      ) : (
        <>
          <progress max={1} value={d.progress} aria-label={`Downloading ${file.name}`} />
          <button
            type="button"
            className="secondary small"
            aria-label={`Cancel the download of ${file.name}`}
            onClick={d.cancel}
          >
            ✕
          </button>
        </>
      )}
      {d.problem && (
        <span role="alert" className="form-error">
          {d.problem}
        </span>
      )}
      {d.saved && (
        // The page hands the file to the browser (or Electron), which saves it where downloads go.
        <span role="status" className="hint saved">
          Saved to your downloads as {file.name}
        </span>
      )}
    </div>
  );
}

/** The whole image, as large as the window allows, with its name and a download. */
function ImageViewer({ file, onClose }: { file: MessageFile; onClose: () => void }) {
  const store = useChatStore();
  const [url, setUrl] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const d = useDownload(file);
  useEffect(() => {
    let live = true;
    fileUrl(store, file.fileId)
      .then((u) => live && setUrl(u))
      .catch((err: unknown) => live && setProblem(describe(err).message));
    return () => {
      live = false;
    };
  }, [store, file.fileId]);
  return (
    <Dialog title={file.name} onClose={onClose} className="image-viewer">
      {url && <img src={url} alt={file.name} />}
      {!url && !problem && <p aria-busy="true">Loading the image…</p>}
      {problem && (
        <p role="alert" className="form-error">
          Could not load the image: {problem}
        </p>
      )}
      <p className="hint">
        {file.width && file.height ? `${file.width} × ${file.height} · ` : ''}
        {formatBytes(file.size)}{' '}
        <button type="button" className="secondary small" onClick={() => void d.start()}>
          Download
        </button>
        {d.progress !== null && <progress max={1} value={d.progress} aria-label="Downloading" />}
      </p>
    </Dialog>
  );
}
