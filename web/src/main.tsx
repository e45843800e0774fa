import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { applyTheme, currentTheme } from './hooks/use-theme';
import './styles/app.css';

// Before the first render, so the first paint already has the right theme.
applyTheme(currentTheme());

const root = document.getElementById('root');
if (!root) throw new Error('#root missing from index.html');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
