import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

const root = fileURLToPath(new URL("./web", import.meta.url));
const outDir = fileURLToPath(new URL("./dist/web", import.meta.url));
const workerOrigin = `http://127.0.0.1:${process.env.PORT ?? 8787}`;

/** The SPA lives in web/ and builds into dist/web, the assets directory wrangler.toml serves. */
export default defineConfig({
  root,
  plugins: [solid()],
  build: {
    outDir,
    emptyOutDir: true,
    target: "es2022",
  },
  server: {
    host: "127.0.0.1",
    port: 5173,
    // In `npm run dev:web` the worker started by `npm start` (same PORT) answers the API;
    // the realtime socket lives under /api too, hence ws.
    proxy: {
      "/api": { target: workerOrigin, ws: true },
    },
  },
});
