export { MulticastAnnouncer } from './multicast-announcer.js';
export type { AnnouncerLogger, MulticastAnnouncerOptions } from './multicast-announcer.js';
export { announcerFromEnv } from './announcer-from-env.js';
export type { AnnouncerFromEnvOptions } from './announcer-from-env.js';
