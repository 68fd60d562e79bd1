import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addItem, createCart } from '../src/cart.js';
import { formatMoney, formatPercent, formatReceipt, padRow } from '../src/format.js';
import { priceCart } from '../src/pricing.js';

const tea = { sku: 'TEA-GREEN-250', name: 'Green tea 250 g', unitPrice: 650 };
const mug = { sku: 'MUG-STONE', name: 'Stoneware mug', unitPrice: 1200 };

// 3 teas and 12 mugs (5% volume discount), 10% coupon, 20% tax, free shipping.
const bigOrder = priceCart(addItem(addItem(createCart(), tea, 3), mug, 12), {
  coupon: { code: 'SPRING10', percentOff: 10 },
  taxRate: 0.2,
});

// One tea: the coupon's minimum is not reached, and shipping is charged.
const smallOrder = priceCart(addItem(createCart(), tea), {
  coupon: { code: 'BIG20', percentOff: 20, minSubtotal: 3000 },
});

describe('formatMoney', () => {
  it('writes cents as an amount with the currency symbol and thousands separators', () => {
    assert.equal(formatMoney(123456), '€1,234.56');
    assert.equal(formatMoney(5), '€0.05');
    assert.equal(formatMoney(100_000_000, 'GBP'), '£1,000,000.00');
    assert.equal(formatMoney(100, 'USD'), '$1.00');
  });

  it('puts the sign first and an unknown currency last', () => {
    assert.equal(formatMoney(-720), '-€7.20');
    assert.equal(formatMoney(1200, 'CHF'), '12.00 CHF');
  });
});

describe('formatPercent and padRow', () => {
  it('round rates to whole percentages and pad rows to the width', () => {
    assert.equal(formatPercent(0.2), '20%');
    assert.equal(formatPercent(0.05), '5%');
    assert.equal(padRow('Tax', '€1.00', 12), 'Tax    €1.00');
    assert.equal(padRow('A long label', '€1.00', 12), 'A long label €1.00');
  });
});

describe('formatReceipt', () => {
  it('prints a till receipt with unit prices, discounts, totals and savings', () => {
    assert.equal(
      formatReceipt(bigOrder, { title: 'Leaf & Clay' }),
      [
        '========================================',
        '              Leaf & Clay',
        '========================================',
        '3 x Green tea 250 g               €19.50',
        '  @ €6.50 each',
        '12 x Stoneware mug               €144.00',
        '  @ €12.00 each',
        '  volume discount 5%: -€7.20',
        '----------------------------------------',
        'Subtotal                         €156.30',
        'Coupon SPRING10                  -€15.63',
        'Tax 20%                           €28.13',
        'Shipping                            free',
        '----------------------------------------',
        'TOTAL                            €168.80',
        '',
        'You saved €22.83.',
        '========================================',
      ].join('\n'),
    );
  });

  it('prints one row per line when compact, and the change for a payment', () => {
    assert.equal(
      formatReceipt(smallOrder, { compact: true, width: 30, paid: 2000 }),
      [
        '==============================',
        '           Receipt',
        '==============================',
        '1 x Green tea 250 g      €6.50',
        '------------------------------',
        'Subtotal                 €6.50',
        '  coupon BIG20 does not apply to this order',
        'Shipping                 €4.95',
        '------------------------------',
        'TOTAL                   €11.45',
        'Paid                    €20.00',
        'Change                   €8.55',
        '==============================',
      ].join('\n'),
    );
  });

  it('prints what is still due when the payment falls short', () => {
    const receipt = formatReceipt(smallOrder, { width: 30, paid: 1000 });
    assert.match(receipt, /^Still due {16}€1\.45$/m);
    assert.doesNotMatch(receipt, /Change/);
  });

  it('writes a Markdown table with SKUs and notes for e-mail', () => {
    const receipt = formatReceipt(bigOrder, {
      style: 'markdown',
      showSku: true,
      notes: ['Thank you!'],
    });
    const lines = receipt.split('\n');
    assert.deepEqual(lines.slice(0, 5), [
      '## Receipt',
      '',
      '| Item | Amount |',
      '| --- | ---: |',
      '| 3 x Green tea 250 g [TEA-GREEN-250] | €19.50 |',
    ]);
    assert.ok(lines.includes('| **Total** | €168.80 |'));
    assert.equal(lines.at(-1), '> Thank you!');
    assert.doesNotMatch(receipt, /====/);
  });

  it('says so when the cart is empty', () => {
    const empty = priceCart(createCart());
    assert.match(formatReceipt(empty), /\nNo items\.\n/);
    assert.equal(formatReceipt(empty, { style: 'markdown' }), '## Receipt\n\n_No items._');
  });
});
