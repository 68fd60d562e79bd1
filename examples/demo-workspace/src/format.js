// @ts-check
/**
 * Turning amounts and priced carts into text: money, percentages, and the
 * receipt printed at the till (plain text) or sent by e-mail (Markdown).
 */

/** @typedef {import('./pricing.js').PricedCart} PricedCart */

/** @type {Record<string, string>} */
const CURRENCY_SYMBOLS = { EUR: '€', USD: '$', GBP: '£' };

/**
 * Cents as money: `formatMoney(123456, 'EUR')` is `€1,234.56`. A currency
 * without a known symbol is written after the amount: `12.00 CHF`.
 * @param {number} cents
 * @param {string} [currency]
 * @returns {string}
 */
export function formatMoney(cents, currency = 'EUR') {
  const sign = cents < 0 ? '-' : '';
  const absolute = Math.abs(Math.round(cents));
  const whole = String(Math.floor(absolute / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = String(absolute % 100).padStart(2, '0');
  const symbol = CURRENCY_SYMBOLS[currency];
  return symbol === undefined
    ? `${sign}${whole}.${fraction} ${currency}`
    : `${sign}${symbol}${whole}.${fraction}`;
}

/**
 * A rate as a whole percentage: `formatPercent(0.2)` is `20%`.
 * @param {number} rate
 * @returns {string}
 */
export function formatPercent(rate) {
  return `${Math.round(rate * 100)}%`;
}

/**
 * `left` and `right` on one line of `width` characters, with at least one space between.
 * @param {string} left
 * @param {string} right
 * @param {number} width
 * @returns {string}
 */
export function padRow(left, right, width) {
  const room = Math.max(1, width - left.length - right.length);
  return `${left}${' '.repeat(room)}${right}`;
}

/**
 * @typedef {object} ReceiptOptions
 * @property {'text' | 'markdown'} [style]  'text' for the till printer (default), 'markdown' for e-mail
 * @property {number} [width]     text style: characters per line, at least 24 (default 40)
 * @property {string} [title]     heading (default "Receipt")
 * @property {boolean} [showSku]  print each product's SKU after its name
 * @property {boolean} [compact]  one row per line with its net amount, no detail rows
 * @property {number} [paid]      cents handed over: prints the change, or what is still due
 * @property {string[]} [notes]   free text printed at the end, one per row
 */

/**
 * The receipt for a priced cart.
 * @param {PricedCart} priced
 * @param {ReceiptOptions} [options]
 * @returns {string}
 */
export function formatReceipt(priced, options = {}) {
  const style = options.style ?? 'text';
  const width = Math.max(24, options.width ?? 40);
  const title = options.title ?? 'Receipt';
  /** @type {string[]} */
  const out = [];
  /** @param {number} cents */
  const money = (cents) => formatMoney(cents, priced.currency);
  /** @param {string} char */
  const rule = (char) => {
    if (style === 'text') out.push(char.repeat(width));
  };
  /** @param {string} label @param {string} amount */
  const row = (label, amount) => {
    if (style === 'markdown') {
      out.push(`| ${label} | ${amount} |`);
    } else {
      out.push(padRow(label, amount, width));
    }
  };
  /** @param {string} text */
  const detail = (text) => {
    if (style === 'markdown') {
      out.push(`| ${text} | |`);
    } else {
      out.push(`  ${text}`);
    }
  };

  // Heading.
  if (style === 'markdown') {
    out.push(`## ${title}`, '');
  } else {
    const indent = Math.max(0, Math.floor((width - title.length) / 2));
    rule('=');
    out.push(`${' '.repeat(indent)}${title}`);
    rule('=');
  }

  if (priced.lines.length === 0) {
    out.push(style === 'markdown' ? '_No items._' : 'No items.');
    rule('=');
    return out.join('\n');
  }

  // One row per line, with its unit price and volume discount unless compact.
  if (style === 'markdown') {
    out.push('| Item | Amount |', '| --- | ---: |');
  }
  for (const line of priced.lines) {
    const name = options.showSku ? `${line.name} [${line.sku}]` : line.name;
    if (options.compact) {
      row(`${line.quantity} x ${name}`, money(line.net));
      continue;
    }
    row(`${line.quantity} x ${name}`, money(line.gross));
    if (line.quantity > 1) {
      detail(`@ ${money(line.unitPrice)} each`);
    }
    if (line.discount > 0) {
      detail(`volume discount ${formatPercent(line.discountRate)}: ${money(-line.discount)}`);
    }
  }

  // Totals.
  rule('-');
  row('Subtotal', money(priced.subtotal));
  if (priced.couponDiscount > 0) {
    row(`Coupon ${priced.couponCode ?? ''}`.trimEnd(), money(-priced.couponDiscount));
  } else if (priced.couponCode !== undefined) {
    detail(`coupon ${priced.couponCode} does not apply to this order`);
  }
  if (priced.taxRate > 0) {
    row(`Tax ${formatPercent(priced.taxRate)}`, money(priced.tax));
  }
  if (priced.shipping === 0) {
    row('Shipping', 'free');
  } else {
    row('Shipping', money(priced.shipping));
  }
  rule('-');
  row(style === 'markdown' ? '**Total**' : 'TOTAL', money(priced.total));

  // Payment.
  if (options.paid !== undefined) {
    row('Paid', money(options.paid));
    if (options.paid >= priced.total) {
      row('Change', money(options.paid - priced.total));
    } else {
      row('Still due', money(priced.total - options.paid));
    }
  }

  // Savings and notes.
  const saved = priced.volumeDiscount + priced.couponDiscount;
  if (saved > 0 && !options.compact) {
    out.push('', `You saved ${money(saved)}.`);
  }
  const notes = options.notes ?? [];
  if (notes.length > 0) {
    out.push('');
    for (const note of notes) {
      out.push(style === 'markdown' ? `> ${note}` : note);
    }
  }
  rule('=');
  return out.join('\n');
}
