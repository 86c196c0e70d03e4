// The desktop core's own failure, and how any failure is told to the renderer.
import { CodedError, type IpcErrorCode } from '../../shared/errors.js';

/** A failure the renderer is told about, with a stable code. */
export class CoreError extends CodedError {}

/** The code and message of anything a core call throws, for the renderer. */
export function describeError(err: unknown): { code: IpcErrorCode; message: string } {
  if (err instanceof CodedError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: 'Something went wrong inside Parley.' };
}
