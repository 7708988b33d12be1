export {
  ANNOUNCEMENT_MAGIC,
  ANNOUNCEMENT_MAX_BYTES,
  AnnouncementRejection,
  announcementUrl,
  encodeAnnouncement,
  isLinkUrl,
  verifyAnnouncement,
} from './announcement.js';
export type { Announcement, AnnouncementCheck, VerifyAnnouncementOptions } from './announcement.js';
export {
  DEFAULT_MULTICAST_SETTINGS,
  DISCOVERY_ENV,
  DiscoveryMode,
  discoveryModeFromEnv,
  isIPv4Multicast,
  multicastSettingsFromEnv,
  validateMulticastSettings,
} from './settings.js';
export type { MulticastSettings } from './settings.js';
