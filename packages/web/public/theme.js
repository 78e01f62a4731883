// The stored theme before first paint, so a light-theme user never sees a dark flash. A file, not
// an inline script: the server's Content-Security-Policy allows scripts from 'self' only.
try {
  const theme = localStorage.getItem('openeye.theme');
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
} catch {}
