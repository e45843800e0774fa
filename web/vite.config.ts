import { fileURLToPath } from 'node:url';
import { defineConfig, type ProxyOptions } from 'vite';
import react from '@vitejs/plugin-react';

// Where `vite` (dev) and `vite preview` forward /api/* (prefix stripped), like the UI service does in production.
const analyzer = process.env.PKTLENS_ANALYZER_URL ?? 'http://127.0.0.1:5003';

const apiProxy: Record<string, ProxyOptions> = {
  '/api': {
    target: analyzer,
    changeOrigin: true,
    rewrite: (path) => path.replace(/^\/api(?=\/|\?|$)/, '') || '/',
  },
};

// The policy the UI service serves the page with; `vite preview` uses it too, so a build is checked under it.
// (Not for the dev server: React Fast Refresh injects an inline script.)
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:";

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    target: 'es2022',
    rolldownOptions: {
      output: {
        // Libraries change far less often than the app: separate chunks stay cached across releases.
        codeSplitting: {
          groups: [
            { name: 'echarts', test: /node_modules[\\/](echarts|zrender|tslib)[\\/]/, priority: 2 },
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/, priority: 1 },
          ],
        },
      },
    },
  },
  server: { host: '127.0.0.1', port: 5173, proxy: apiProxy },
  preview: {
    host: '127.0.0.1',
    port: 4173,
    proxy: apiProxy,
    headers: { 'Content-Security-Policy': CONTENT_SECURITY_POLICY },
  },
});
