import { OpenEyeProvider } from '@openeye/client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { KioskKeyScreen } from './components/KioskKey';
import { AuthProvider } from './lib/auth';
import { attachCameras } from './lib/cameras';
import { kioskKeySession } from './lib/kiosk-key';
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
      {/* A kiosk key is the screen's own sign-in: no person's session is read, kept or ended here. */}
      {kioskKeySession ? (
        <KioskKeyScreen />
      ) : (
        <AuthProvider>
          <App />
        </AuthProvider>
      )}
    </OpenEyeProvider>
  </StrictMode>,
);
