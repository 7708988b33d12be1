import type { Discovery } from './discovery.js';

/** What a Worker's link agent offers discovery: add and drop Core connections at run time. */
export interface CoreConnector {
  addCore(url: string): unknown;
  removeCore(url: string): unknown;
}

/**
 * Keeps `connector`'s Cores in step with `discovery`: adds the Cores already known, then every
 * one found, and removes the lost ones. Returns a function that stops following (it does not
 * remove the Cores). Call before or after `discovery.start()`.
 */
export function followDiscovery(discovery: Discovery, connector: CoreConnector): () => void {
  const onFound = (url: string) => void connector.addCore(url);
  const onLost = (url: string) => void connector.removeCore(url);
  discovery.on('found', onFound);
  discovery.on('lost', onLost);
  for (const url of discovery.urls()) connector.addCore(url);
  return () => {
    discovery.off('found', onFound);
    discovery.off('lost', onLost);
  };
}
