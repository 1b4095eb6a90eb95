// Demo-store behaviour. Clicks on elements with data-wayline-event are tracked by the SDK itself; this file only
// adds what a real store would do by hand: the cart, identify at checkout, and the order.
const cart = () => Number(localStorage.getItem('demo:cart') || 0);

const add = document.getElementById('add-to-cart');
if (add) add.addEventListener('click', () => {
  localStorage.setItem('demo:cart', String(cart() + 1));
  document.getElementById('added').hidden = false;
});

const qty = document.getElementById('qty');
if (qty) qty.textContent = String(cart());

const form = document.getElementById('checkout-form');
if (form) form.addEventListener('submit', (e) => {
  e.preventDefault();
  const data = new FormData(form);
  const email = String(data.get('email'));
  wayline.identify(email, { email });
  if (data.get('newsletter')) wayline.track('Newsletter Subscribed', { source: 'checkout' });
  const orderId = 'ord_' + Math.random().toString(36).slice(2, 10);
  const items = Math.max(cart(), 1);
  wayline.track('Order Completed', { order_id: orderId, revenue: 89 * items, currency: 'EUR', items });
  localStorage.setItem('demo:cart', '0');
  location.href = '/thank-you.html?order=' + orderId;
});

const order = document.getElementById('order-id');
if (order) order.textContent = new URLSearchParams(location.search).get('order') || '';
