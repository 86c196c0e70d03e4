// Electron's screen-share picker: the screens and windows desktopCapturer found, as thumbnails.
// In a browser, the browser shows its own picker and this never appears.
import { Dialog } from '../../ui/Dialog';
import { useCall, useCallStore } from './use-call';

export function ScreenPicker() {
  const store = useCallStore();
  const choice = useCall().screenChoice;
  if (!choice) return null;
  return (
    <Dialog
      title="Share your screen"
      onClose={() => store.chooseScreen(null)}
      className="screen-picker"
    >
      {choice.sources.length === 0 && <p>No screen or window can be shared.</p>}
      <ul className="screen-sources">
        {choice.sources.map((s) => (
          <li key={s.id}>
            <button type="button" onClick={() => store.chooseScreen(s.id)}>
              <img src={s.thumbnail} alt="" />
              <span>
                {s.kind === 'screen' ? 'Screen: ' : ''}
                {s.name}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
