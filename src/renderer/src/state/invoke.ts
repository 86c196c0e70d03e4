// Invoking the bridge's channels from the page: a refusal becomes an ActionError with the core's
// stable code and sentence. Runs in the renderer (and in Node tests with a fake bridge).
import { DesktopErrorCode, isIpcErrorCode, type IpcErrorCode } from '../../../shared/errors';
import type { InvokeArgs, InvokeOutcome, InvokeResults, ParleyBridge } from '../../../shared/ipc';
import { bridgeName, type BridgeName, type InvokeChannel } from '../../../shared/ipc-channels';

/** Codes the page raises itself, beside the core's and the server's. */
export type ActionErrorCode = IpcErrorCode | 'NOT_REVOKED';

/** A failed action, with its stable code: components show `message`. */
export class ActionError extends Error {
  constructor(
    readonly code: ActionErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type Invoke = <C extends InvokeChannel>(
  channel: C,
  args: InvokeArgs<C>,
) => Promise<InvokeResults[C]>;

/** What file transfers and pictures need of the store: the account shown, and invoking. */
export interface AccountInvoker {
  readonly invoke: Invoke;
  currentAccount(): string | undefined;
}

export function bridgeInvoke(bridge: ParleyBridge): Invoke {
  return async <C extends InvokeChannel>(channel: C, args: InvokeArgs<C>) => {
    const fn = bridge[bridgeName(channel) as BridgeName<C>] as unknown as (
      a: InvokeArgs<C>,
    ) => Promise<InvokeOutcome<InvokeResults[C]>>;
    const outcome = await fn(args);
    if (!outcome.ok) {
      // The bridge is ours, but a code from an older core must not surprise the page.
      const code = isIpcErrorCode(outcome.error.code)
        ? outcome.error.code
        : DesktopErrorCode.SERVER_ERROR;
      throw new ActionError(code, outcome.error.message);
    }
    return outcome.result;
  };
}

export function describe(err: unknown): { code: ActionErrorCode; message: string } {
  if (err instanceof ActionError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
