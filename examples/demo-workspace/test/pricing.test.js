import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addItem, createCart } from '../src/cart.js';
import {
  couponDiscount,
  priceCart,
  priceLine,
  SHIPPING_FEE,
  shippingFor,
  volumeDiscountRate,
} from '../src/pricing.js';

const tea = { sku: 'TEA-GREEN-250', name: 'Green tea 250 g', unitPrice: 650 };
const mug = { sku: 'MUG-STONE', name: 'Stoneware mug', unitPrice: 1200 };

describe('volumeDiscountRate', () => {
  it('gives no discount below the first tier', () => {
    for (const quantity of [0, 1, 9]) assert.equal(volumeDiscountRate(quantity), 0);
  });

  it("gives each tier's rate inside the tier", () => {
    assert.equal(volumeDiscountRate(11), 0.05);
    assert.equal(volumeDiscountRate(49), 0.05);
    assert.equal(volumeDiscountRate(51), 0.1);
    assert.equal(volumeDiscountRate(99), 0.1);
    assert.equal(volumeDiscountRate(101), 0.15);
    assert.equal(volumeDiscountRate(500), 0.15);
  });

  it('starts each tier at its minimum quantity', () => {
    assert.equal(volumeDiscountRate(10), 0.05);
    assert.equal(volumeDiscountRate(50), 0.1);
    assert.equal(volumeDiscountRate(100), 0.15);
  });
});

describe('priceLine', () => {
  it('charges unit price times quantity, with no discount for a few units', () => {
    const line = priceLine({ ...tea, quantity: 3 });
    assert.equal(line.gross, 1950);
    assert.equal(line.discount, 0);
    assert.equal(line.net, 1950);
  });

  it('takes the volume discount off a large line', () => {
    const line = priceLine({ ...mug, quantity: 60 });
    assert.equal(line.gross, 72000);
    assert.equal(line.discountRate, 0.1);
    assert.equal(line.discount, 7200);
    assert.equal(line.net, 64800);
  });

  it('rounds the discount to whole cents', () => {
    const line = priceLine({ sku: 'PEN', name: 'Pen', unitPrice: 333, quantity: 12 });
    assert.equal(line.gross, 3996);
    assert.equal(line.discount, 200); // 5% of 3996 is 199.8
    assert.equal(line.net, 3796);
  });
});

describe('couponDiscount', () => {
  it('is 0 without a coupon', () => {
    assert.equal(couponDiscount(4000, undefined), 0);
  });

  it('takes a percentage off the subtotal, rounded to whole cents', () => {
    assert.equal(couponDiscount(4000, { code: 'SPRING10', percentOff: 10 }), 400);
    assert.equal(couponDiscount(3995, { code: 'SPRING10', percentOff: 10 }), 400);
  });

  it('takes a fixed amount off, but never more than the subtotal', () => {
    assert.equal(couponDiscount(4000, { code: 'FIVER', amountOff: 500 }), 500);
    assert.equal(couponDiscount(300, { code: 'FIVER', amountOff: 500 }), 300);
  });

  it('does not apply below its minimum subtotal', () => {
    const coupon = { code: 'BIG20', percentOff: 20, minSubtotal: 3000 };
    assert.equal(couponDiscount(2999, coupon), 0);
    assert.equal(couponDiscount(3000, coupon), 600);
  });
});

describe('shippingFor', () => {
  it('charges the fee below the free-shipping threshold and nothing from it on', () => {
    assert.equal(shippingFor(4999, 1), SHIPPING_FEE);
    assert.equal(shippingFor(5000, 1), 0);
    assert.equal(shippingFor(0, 0), 0);
  });
});

describe('priceCart', () => {
  it('adds up volume discounts, coupon, tax and shipping', () => {
    const cart = addItem(addItem(createCart(), tea, 3), mug, 12);
    const priced = priceCart(cart, {
      coupon: { code: 'SPRING10', percentOff: 10 },
      taxRate: 0.2,
    });
    // tea 3 x 6.50 = 19.50; mugs 12 x 12.00 = 144.00 less 5% (7.20) = 136.80
    assert.equal(priced.subtotal, 15630);
    assert.equal(priced.volumeDiscount, 720);
    assert.equal(priced.couponDiscount, 1563);
    assert.equal(priced.tax, 2813); // 20% of 140.67
    assert.equal(priced.shipping, 0);
    assert.equal(priced.total, 16880);
  });

  it('charges shipping on a small order and taxes only the goods', () => {
    const priced = priceCart(addItem(createCart(), tea, 2), { taxRate: 0.1 });
    assert.equal(priced.subtotal, 1300);
    assert.equal(priced.tax, 130);
    assert.equal(priced.shipping, SHIPPING_FEE);
    assert.equal(priced.total, 1300 + 130 + SHIPPING_FEE);
    assert.equal(priced.couponCode, undefined);
  });
});
