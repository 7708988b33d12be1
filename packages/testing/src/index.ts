export { wat, watFixture } from './wat.js';
