import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { CallsTable } from './features/live-board/components/calls-table';
import { queryClient } from './lib/query-client';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('no #root element');

createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <header>
        <h1>Earshot</h1>
        <span>Live calls</span>
      </header>
      <main>
        <CallsTable />
      </main>
    </QueryClientProvider>
  </StrictMode>,
);
