import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addItem, createCart, itemCount, quantitiesBySku, removeItem } from '../src/cart.js';

const tea = { sku: 'TEA-GREEN-250', name: 'Green tea 250 g', unitPrice: 650 };
const mug = { sku: 'MUG-STONE', name: 'Stoneware mug', unitPrice: 1200 };

describe('cart', () => {
  it('starts empty, in euros unless told otherwise', () => {
    assert.deepEqual(createCart(), { currency: 'EUR', lines: [] });
    assert.equal(createCart('USD').currency, 'USD');
  });

  it('appends one line per addItem and leaves the original cart unchanged', () => {
    const empty = createCart();
    const cart = addItem(addItem(empty, tea, 2), mug);
    assert.deepEqual(cart.lines, [
      { ...tea, quantity: 2 },
      { ...mug, quantity: 1 },
    ]);
    assert.deepEqual(empty.lines, []);
  });

  it('rejects a quantity that is not a positive whole number', () => {
    for (const quantity of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => addItem(createCart(), tea, quantity), RangeError);
    }
  });

  it('rejects a unit price that is not whole cents', () => {
    assert.throws(() => addItem(createCart(), { ...tea, unitPrice: 6.5 }), RangeError);
    assert.throws(() => addItem(createCart(), { ...tea, unitPrice: -100 }), RangeError);
  });

  it('removes every line for a SKU, and ignores a SKU it does not hold', () => {
    const cart = addItem(addItem(addItem(createCart(), tea), mug), tea, 3);
    assert.deepEqual(
      removeItem(cart, tea.sku).lines.map((line) => line.sku),
      [mug.sku],
    );
    assert.deepEqual(removeItem(cart, 'NOPE'), cart);
  });

  it('counts units over all lines and per SKU', () => {
    const cart = addItem(addItem(addItem(createCart(), tea, 2), mug, 4), tea, 3);
    assert.equal(itemCount(cart), 9);
    assert.deepEqual(
      quantitiesBySku(cart),
      new Map([
        [tea.sku, 5],
        [mug.sku, 4],
      ]),
    );
  });
});
