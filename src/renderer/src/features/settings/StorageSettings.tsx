// What this server lets the account keep: the size of one file and the quota of all of them
// (security review 3, F8), as the server stated them when the account connected.
import { formatBytes } from '../../../../shared/files';
import { useStore } from '../../state/use-store';

export function StorageSettings() {
  const limits = useStore((s) => (s.status?.state === 'online' ? s.status.limits : undefined));
  if (!limits) return null;
  return (
    <fieldset>
      <legend>Files</legend>
      <p className="hint">
        Each file can be up to {formatBytes(limits.maxFileBytes)}.
        {limits.storageQuotaBytes !== undefined && (
          <>
            {' '}
            All your files on this server together can take up to{' '}
            {formatBytes(limits.storageQuotaBytes)}; deleting a message deletes its files. A file
            you upload but never send is removed after a day.
          </>
        )}
      </p>
    </fieldset>
  );
}
