// @ts-check
/**
 * A shopping cart: an ordered list of lines, one per product added.
 * Carts are immutable values: every operation returns a new cart.
 * Prices are integer cents, so sums never pick up floating-point noise.
 */

/**
 * @typedef {object} Product
 * @property {string} sku        stock-keeping unit, e.g. "TEA-GREEN-250"
 * @property {string} name
 * @property {number} unitPrice  price of one unit, in cents
 */

/**
 * @typedef {Product & { quantity: number }} CartLine
 */

/**
 * @typedef {object} Cart
 * @property {string} currency  ISO 4217 code, e.g. "EUR"
 * @property {readonly CartLine[]} lines
 */

/**
 * An empty cart.
 * @param {string} [currency]
 * @returns {Cart}
 */
export function createCart(currency = 'EUR') {
  return { currency, lines: [] };
}

/**
 * Adds `quantity` units of `product` as a new line at the end of the cart.
 * @param {Cart} cart
 * @param {Product} product
 * @param {number} [quantity]
 * @returns {Cart}
 */
export function addItem(cart, product, quantity = 1) {
  if (!Number.isInteger(quantity) || quantity <= 0) {
    throw new RangeError(`quantity must be a positive integer, got ${quantity}`);
  }
  if (!Number.isInteger(product.unitPrice) || product.unitPrice < 0) {
    throw new RangeError(`unitPrice must be a whole number of cents, got ${product.unitPrice}`);
  }
  // TODO: merge with an existing line for the same SKU instead of appending a second line.
  const line = { sku: product.sku, name: product.name, unitPrice: product.unitPrice, quantity };
  return { ...cart, lines: [...cart.lines, line] };
}

/**
 * Removes every line for `sku`. Removing a SKU that is not in the cart is not an error.
 * @param {Cart} cart
 * @param {string} sku
 * @returns {Cart}
 */
export function removeItem(cart, sku) {
  return { ...cart, lines: cart.lines.filter((line) => line.sku !== sku) };
}

/**
 * How many units the cart holds, over all lines.
 * @param {Cart} cart
 * @returns {number}
 */
export function itemCount(cart) {
  return cart.lines.reduce((count, line) => count + line.quantity, 0);
}

/**
 * The units wanted per SKU, summing lines that share a SKU.
 * @param {Cart} cart
 * @returns {Map<string, number>}
 */
export function quantitiesBySku(cart) {
  /** @type {Map<string, number>} */
  const wanted = new Map();
  for (const line of cart.lines) {
    wanted.set(line.sku, (wanted.get(line.sku) ?? 0) + line.quantity);
  }
  return wanted;
}
