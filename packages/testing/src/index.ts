export { wat, watFixture } from './wat.js';
export { assemblyScript, asFixture, ASC_FLAGS } from './assemblyscript.js';
export { c, cFixture, cToolchain, CLANG_FLAGS, NPM_CLANG_FLAGS } from './c.js';
export { eventually, type EventuallyOptions } from './eventually.js';
export { ECHO_WAT, fillWat, httpGetWat } from './guest-sources.js';
export { rejectsWith } from './rejects-with.js';
export { TLS_FIXTURE } from './tls.js';
export { freeUdpPort } from './free-udp-port.js';
export { stopProcess } from './stop-process.js';
