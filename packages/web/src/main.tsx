import { OpenEyeProvider } from '@openeye/client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { AuthProvider } from './lib/auth';
import { attachCameras } from './lib/cameras';
import { attachLive } from './lib/live';
import { api, client } from './lib/services';
import './styles.css';

attachLive(client, api);
attachCameras(client, api);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');

createRoot(root).render(
  <StrictMode>
    <OpenEyeProvider client={client}>
      <AuthProvider>
        <App />
      </AuthProvider>
    </OpenEyeProvider>
  </StrictMode>,
);
