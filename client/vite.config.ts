import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/socket.io': { target: 'http://127.0.0.1:8080', ws: true },
    },
  },
  // NOTE: 'hidden' writes the maps (for a developer's stack traces) without pointing the
  // bundle at them; the server never serves .map files.
  build: { outDir: 'dist', sourcemap: 'hidden' },
});
