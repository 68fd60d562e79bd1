// @ts-check
/**
 * Prices a cart: volume discounts per line, then a coupon on the subtotal,
 * then tax on the discounted goods, then shipping. All amounts are cents.
 */

/** @typedef {import('./cart.js').Cart} Cart */
/** @typedef {import('./cart.js').CartLine} CartLine */

/**
 * Volume tiers, highest first. A line of at least `minQuantity` units of one
 * product gets `rate` off that line: 10–49 units 5%, 50–99 units 10%, 100 or
 * more 15%.
 */
export const VOLUME_TIERS = Object.freeze([
  Object.freeze({ minQuantity: 100, rate: 0.15 }),
  Object.freeze({ minQuantity: 50, rate: 0.1 }),
  Object.freeze({ minQuantity: 10, rate: 0.05 }),
]);

/** Shipping is free from this subtotal (after the coupon), in cents. */
export const FREE_SHIPPING_FROM = 5000;

/** Shipping below `FREE_SHIPPING_FROM`, in cents. */
export const SHIPPING_FEE = 495;

/**
 * @typedef {object} Coupon
 * @property {string} code
 * @property {number} [percentOff]   0–100, off the subtotal
 * @property {number} [amountOff]    cents off the subtotal (when there is no percentOff)
 * @property {number} [minSubtotal]  cents; below this subtotal the coupon does not apply
 */

/**
 * @typedef {CartLine & { gross: number, discountRate: number, discount: number, net: number }} PricedLine
 */

/**
 * @typedef {object} PricedCart
 * @property {string} currency
 * @property {PricedLine[]} lines
 * @property {number} subtotal        sum of the lines' net amounts
 * @property {number} volumeDiscount  sum of the lines' volume discounts
 * @property {string | undefined} couponCode
 * @property {number} couponDiscount
 * @property {number} taxRate
 * @property {number} tax
 * @property {number} shipping
 * @property {number} total
 */

/**
 * The volume discount rate for a line of `quantity` units: the rate of the
 * highest tier whose `minQuantity` the quantity reaches, or 0 below every tier.
 * @param {number} quantity
 * @returns {number}
 */
export function volumeDiscountRate(quantity) {
  for (const tier of VOLUME_TIERS) {
    if (quantity > tier.minQuantity) return tier.rate;
  }
  return 0;
}

/**
 * One cart line with its gross amount, volume discount and net amount.
 * @param {CartLine} line
 * @returns {PricedLine}
 */
export function priceLine(line) {
  const gross = line.unitPrice * line.quantity;
  const discountRate = volumeDiscountRate(line.quantity);
  const discount = Math.round(gross * discountRate);
  return { ...line, gross, discountRate, discount, net: gross - discount };
}

/**
 * What `coupon` takes off `subtotal`: never more than the subtotal itself.
 * @param {number} subtotal
 * @param {Coupon | undefined} coupon
 * @returns {number}
 */
export function couponDiscount(subtotal, coupon) {
  if (coupon === undefined) return 0;
  if (coupon.minSubtotal !== undefined && subtotal < coupon.minSubtotal) return 0;
  const off =
    coupon.percentOff !== undefined
      ? Math.round((subtotal * coupon.percentOff) / 100)
      : (coupon.amountOff ?? 0);
  return Math.min(Math.max(off, 0), subtotal);
}

/**
 * Shipping for an order of `lineCount` lines worth `subtotal` cents.
 * @param {number} subtotal
 * @param {number} lineCount
 * @returns {number}
 */
export function shippingFor(subtotal, lineCount) {
  if (lineCount === 0) return 0;
  return subtotal >= FREE_SHIPPING_FROM ? 0 : SHIPPING_FEE;
}

/**
 * Prices the whole cart. Tax applies to the goods after discounts, not to shipping.
 * @param {Cart} cart
 * @param {{ coupon?: Coupon, taxRate?: number }} [options]
 * @returns {PricedCart}
 */
export function priceCart(cart, options = {}) {
  const lines = cart.lines.map(priceLine);
  const subtotal = lines.reduce((sum, line) => sum + line.net, 0);
  const volumeDiscount = lines.reduce((sum, line) => sum + line.discount, 0);
  const coupon = couponDiscount(subtotal, options.coupon);
  const goods = subtotal - coupon;
  const taxRate = options.taxRate ?? 0;
  const tax = Math.round(goods * taxRate);
  const shipping = shippingFor(goods, lines.length);
  return {
    currency: cart.currency,
    lines,
    subtotal,
    volumeDiscount,
    couponCode: options.coupon?.code,
    couponDiscount: coupon,
    taxRate,
    tax,
    shipping,
    total: goods + tax + shipping,
  };
}
