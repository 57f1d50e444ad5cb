export { startServer, type ServerOptions, type RunningServer } from './start-server.js';
export { builtInRoutes, type Route, type EdgeContext } from './routes.js';
export { createStaticAsset, type StaticAssetOptions } from './static-assets.js';
