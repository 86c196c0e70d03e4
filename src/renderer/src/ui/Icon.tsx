// Line icons from Lucide (SVG, imported one by one so the bundle carries only these): drawn the
// same on every system, with or without an emoji font. Always beside a visible or accessible
// name, so each is hidden from assistive technology.
import {
  Bell,
  BellOff,
  Ellipsis,
  FaceSlightlySmilingPlus,
  File,
  Lock,
  Maximize2,
  LogOut,
  Menu,
  Minimize2,
  MessageSquare,
  MessageSquareText,
  Mic,
  MicOff,
  Paperclip,
  Pencil,
  Phone,
  PhoneOff,
  ChartNoAxesColumn,
  MonitorUp,
  Settings2,
  VideoOff,
  X,
  Reply,
  Search,
  Trash,
  SquarePen,
  Upload,
  UserPlus,
  Users,
  Video,
  type LucideIcon,
} from 'lucide-react';

const ICONS = {
  bell: Bell,
  close: X,
  'hang-up': PhoneOff,
  mic: Mic,
  screen: MonitorUp,
  settings: Settings2,
  stats: ChartNoAxesColumn,
  'video-off': VideoOff,
  edit: Pencil,
  react: FaceSlightlySmilingPlus,
  reply: Reply,
  thread: MessageSquareText,
  trash: Trash,
  'bell-off': BellOff,
  file: File,
  lock: Lock,
  maximize: Maximize2,
  'log-out': LogOut,
  menu: Menu,
  minimize: Minimize2,
  message: MessageSquare,
  'mic-off': MicOff,
  more: Ellipsis,
  paperclip: Paperclip,
  pen: SquarePen,
  phone: Phone,
  search: Search,
  upload: Upload,
  'user-plus': UserPlus,
  users: Users,
  video: Video,
} satisfies Record<string, LucideIcon>;

export type IconName = keyof typeof ICONS;

export function Icon({ name, size = 16 }: { name: IconName; size?: number }) {
  const Drawn = ICONS[name];
  return <Drawn className="icon" size={size} aria-hidden="true" focusable="false" />;
}
