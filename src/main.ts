import { mount } from 'svelte';
import App from './ui/App.svelte';
import './ui/theme.css';
import { registerServiceWorker } from './ui/sw-bridge.ts';

mount(App, { target: document.getElementById('app')! });

// Keep the app itself for offline use (model files are kept by the engine, not here).
if (import.meta.env.PROD) registerServiceWorker().catch((err) => console.warn('No offline copy of the app:', err));
