import { mount } from 'svelte';
import App from './ui/App.svelte';
import { Studio } from './ui/studio.svelte.ts';
import './ui/theme.css';
import { registerServiceWorker } from './ui/sw-bridge.ts';

const studio = new Studio();
// For the curious (and the tests): the page's store is `studio` in the console.
(globalThis as { studio?: Studio }).studio = studio;
mount(App, { target: document.getElementById('app')!, props: { studio } });

// Keep the app itself for offline use (model files are kept by the engine, not here).
if (import.meta.env.PROD) registerServiceWorker().catch((err) => console.warn('No offline copy of the app:', err));
