// @ts-check
/**
 * Stock on hand: how many units of each SKU the shop has, checking a cart
 * against it, and taking the cart's units out when an order is placed.
 */

import { quantitiesBySku } from './cart.js';

/** @typedef {import('./cart.js').Cart} Cart */

/** @typedef {ReadonlyMap<string, number>} Stock  units on hand per SKU */

/**
 * @typedef {object} Shortage
 * @property {string} sku
 * @property {number} wanted     units the cart asks for
 * @property {number} available  units on hand
 */

/**
 * Stock from `[sku, units]` pairs.
 * @param {Iterable<readonly [string, number]>} entries
 * @returns {Stock}
 */
export function createStock(entries) {
  /** @type {Map<string, number>} */
  const stock = new Map();
  for (const [sku, units] of entries) {
    if (!Number.isInteger(units) || units < 0) {
      throw new RangeError(`stock for ${sku} must be a whole number of units, got ${units}`);
    }
    stock.set(sku, units);
  }
  return stock;
}

/**
 * Units on hand for `sku`; 0 for a SKU the shop does not stock.
 * @param {Stock} stock
 * @param {string} sku
 * @returns {number}
 */
export function available(stock, sku) {
  return stock.get(sku) ?? 0;
}

/**
 * The SKUs the cart wants more of than there is, in the cart's order.
 * @param {Stock} stock
 * @param {Cart} cart
 * @returns {Shortage[]}
 */
export function shortages(stock, cart) {
  /** @type {Shortage[]} */
  const short = [];
  for (const [sku, wanted] of quantitiesBySku(cart)) {
    const onHand = available(stock, sku);
    if (wanted > onHand) short.push({ sku, wanted, available: onHand });
  }
  return short;
}

/**
 * The stock left after taking out the cart's units. Throws, and takes out
 * nothing, when any SKU is short.
 * @param {Stock} stock
 * @param {Cart} cart
 * @returns {Stock}
 */
export function reserve(stock, cart) {
  const short = shortages(stock, cart);
  if (short.length > 0) {
    const list = short.map((s) => `${s.sku} (wanted ${s.wanted}, have ${s.available})`);
    throw new Error(`not enough stock: ${list.join(', ')}`);
  }
  const left = new Map(stock);
  for (const [sku, wanted] of quantitiesBySku(cart)) {
    left.set(sku, available(stock, sku) - wanted);
  }
  return left;
}

/**
 * SKUs with `threshold` units or fewer on hand, fewest first, then by SKU.
 * @param {Stock} stock
 * @param {number} [threshold]
 * @returns {string[]}
 */
export function reorderList(stock, threshold = 5) {
  return [...stock]
    .filter(([, units]) => units <= threshold)
    .sort(([skuA, a], [skuB, b]) => a - b || skuA.localeCompare(skuB))
    .map(([sku]) => sku);
}
