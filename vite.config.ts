import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

const root = fileURLToPath(new URL("./web", import.meta.url));
const outDir = fileURLToPath(new URL("./dist/web", import.meta.url));

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
    // In `npm run dev:web` the worker (npm start) answers the API; the socket route needs ws: too.
    proxy: {
      "/api": { target: "http://127.0.0.1:8787", changeOrigin: false, ws: true },
    },
  },
});
