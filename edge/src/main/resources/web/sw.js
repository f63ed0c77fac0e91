// Service worker: shows a notification when the notifier says messages wait. The push carries no
// content (only how many messages wait); the page fetches them over the WebSocket when opened.
self.addEventListener('push', event => {
  let pending = 0;
  try { pending = event.data ? event.data.json().pending || 0 : 0; } catch { /* not JSON */ }
  event.waitUntil((async () => {
    const pages = await self.clients.matchAll({type: 'window', includeUncontrolled: true});
    if (pages.some(p => p.visibilityState === 'visible')) return;   // the open page shows them already
    await self.registration.showNotification('pipechat', {
      body: pending > 1 ? `${pending} new messages` : 'New message',
      tag: 'pipechat-messages',
      renotify: true,
    });
  })());
});

self.addEventListener('notificationclick', event => {
  event.notification.close();
  event.waitUntil((async () => {
    const pages = await self.clients.matchAll({type: 'window', includeUncontrolled: true});
    if (pages.length) return pages[0].focus();
    return self.clients.openWindow('/');
  })());
});
