// @ts-check
/** The shop library's public API, and `checkout`, which ties its parts together. */

import { formatReceipt } from './format.js';
import { reserve } from './inventory.js';
import { priceCart } from './pricing.js';

export { addItem, createCart, itemCount, quantitiesBySku, removeItem } from './cart.js';
export { formatMoney, formatPercent, formatReceipt, padRow } from './format.js';
export { available, createStock, reorderList, reserve, shortages } from './inventory.js';
export {
  couponDiscount,
  FREE_SHIPPING_FROM,
  priceCart,
  priceLine,
  SHIPPING_FEE,
  shippingFor,
  VOLUME_TIERS,
  volumeDiscountRate,
} from './pricing.js';

/**
 * Places an order: takes the cart's units out of stock, prices the cart and
 * prints its receipt. Throws, leaving `stock` as it was, when stock is short.
 * @param {import('./cart.js').Cart} cart
 * @param {import('./inventory.js').Stock} stock
 * @param {{ coupon?: import('./pricing.js').Coupon, taxRate?: number, receipt?: import('./format.js').ReceiptOptions }} [options]
 * @returns {{ stock: import('./inventory.js').Stock, priced: import('./pricing.js').PricedCart, receipt: string }}
 */
export function checkout(cart, stock, options = {}) {
  if (cart.lines.length === 0) throw new Error('cannot check out an empty cart');
  const left = reserve(stock, cart);
  const priced = priceCart(cart, options);
  return { stock: left, priced, receipt: formatReceipt(priced, options.receipt) };
}
