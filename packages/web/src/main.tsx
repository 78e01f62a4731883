import { createRoot } from 'react-dom/client';
import wsService from '@openeye/client';
createRoot(document.getElementById('root')!).render(<h1>hi {wsService.getStatus()}</h1>);
