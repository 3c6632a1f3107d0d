-- One day of business on top of generate.sql: 2025-07-01, the first day of the summer sale.
-- About 150,000 rows change: 20,000 new orders with ~57,000 lines and a sale event per line,
-- 800 new buyers, ~4,800 order status moves, a fraud sweep that cancels ~1,000 recent orders and
-- deletes their lines, cart edits that delete a line from ~2,000 open orders, sale prices on
-- ~1,800 listings, 1,000 buyer profile edits, and 300 abandoned draft listings deleted (with
-- their ~6,000 inventory events). Every update sets updated_at, as the application does.
-- Deterministic: rows are picked by id arithmetic and random values drawn in series order after
-- a fixed seed. Run it once, in one transaction.

SET TimeZone = 'UTC';
SET work_mem = '256MB';
SELECT setseed(0.0701);

-- New buyers sign up during the day.
INSERT INTO buyers
SELECT b, md5('buyer-' || b)::uuid, 'summer.shopper' || b || '@mail.example',
       (ARRAY['Sun Seeker', 'Ólafur Á.', 'Ngozi O''Neil', '李 娜', 'Zoë "Z" Martin'])[1 + b % 5],
       (ARRAY['DE', 'FR', 'NL', 'GB', 'US'])[1 + b % 5], true, NULL, ts, ts
FROM (SELECT b, timestamptz '2025-07-01' + random() * interval '20 hours' AS ts
      FROM generate_series((SELECT max(buyer_id) + 1 FROM buyers), (SELECT max(buyer_id) + 800 FROM buyers)) b) g;

-- The day's orders and their lines: lines are drawn first so each order's totals add up.
CREATE TEMP TABLE new_lines ON COMMIT DROP AS
SELECT i.order_id, i.line_no, i.listing_id, i.quantity, l.price AS unit_price,
       round(l.price * 0.15, 2) AS discount
FROM (SELECT o AS order_id, n AS line_no, 1 + floor(random() * 49000)::bigint AS listing_id,
             CASE WHEN random() < 0.75 THEN 1 ELSE 2 + floor(random() * 2)::int END AS quantity
      FROM generate_series((SELECT max(order_id) + 1 FROM orders), (SELECT max(order_id) + 20000 FROM orders)) o,
           generate_series(1, CASE WHEN o > 0 THEN (ARRAY[1, 2, 2, 3, 3, 3, 4, 5])[1 + floor(random() * 8)::int] END) n
     ) i
JOIN listings l USING (listing_id);

INSERT INTO orders
SELECT g.o, g.buyer_id, CASE WHEN g.placed_at < timestamptz '2025-07-01 12:00' THEN 'paid' ELSE 'pending' END,
       'EUR', t.subtotal, 0, t.subtotal, 'SUMMER15', false, NULL, g.placed_at,
       CASE WHEN g.placed_at < timestamptz '2025-07-01 12:00' THEN g.placed_at + interval '5 minutes' END,
       NULL, NULL, g.placed_at + CASE WHEN g.placed_at < timestamptz '2025-07-01 12:00' THEN interval '5 minutes'
                                       ELSE interval '0' END
FROM (SELECT o, 1 + floor(random() * 200800)::bigint AS buyer_id,
             timestamptz '2025-07-01' + (o - min(o) OVER ()) * interval '4.3 seconds' AS placed_at
      FROM generate_series((SELECT max(order_id) + 1 FROM orders), (SELECT max(order_id) + 20000 FROM orders)) o) g
JOIN (SELECT order_id, sum(quantity * unit_price - discount) AS subtotal FROM new_lines GROUP BY order_id) t
  ON t.order_id = g.o;

INSERT INTO order_items SELECT order_id, line_no, listing_id, quantity, unit_price, discount FROM new_lines;

-- One sale event per new line.
INSERT INTO inventory_events
SELECT (SELECT max(event_id) FROM inventory_events) + row_number() OVER (ORDER BY n.order_id, n.line_no),
       n.listing_id, 'sale', -n.quantity, o.placed_at + interval '1 second', NULL
FROM new_lines n JOIN orders o USING (order_id);

-- Yesterday's open orders move on: paid ones ship, pending ones are paid.
UPDATE orders SET status = 'shipped', shipped_at = timestamptz '2025-07-01 09:00' + (order_id % 480) * interval '1 minute',
                  updated_at = timestamptz '2025-07-01 09:00' + (order_id % 480) * interval '1 minute'
WHERE status = 'paid' AND placed_at < timestamptz '2025-07-01';
UPDATE orders SET status = 'paid', paid_at = placed_at + interval '14 hours',
                  updated_at = placed_at + interval '14 hours'
WHERE status = 'pending' AND placed_at < timestamptz '2025-07-01';
UPDATE orders SET status = 'delivered', delivery_date = date '2025-07-01',
                  updated_at = timestamptz '2025-07-01 16:00' + (order_id % 120) * interval '1 minute'
WHERE status = 'shipped' AND shipped_at < timestamptz '2025-06-29';

-- Fraud sweep: ~1,000 orders of the last 30 days are cancelled and their lines removed.
CREATE TEMP TABLE swept ON COMMIT DROP AS
SELECT order_id FROM orders
WHERE placed_at >= timestamptz '2025-06-01' AND placed_at < timestamptz '2025-07-01' AND order_id % 33 = 7
ORDER BY order_id;
DELETE FROM order_items WHERE order_id IN (SELECT order_id FROM swept);
UPDATE orders SET status = 'cancelled', subtotal = 0, total = shipping_fee, paid_at = NULL, shipped_at = NULL,
                  delivery_date = NULL, updated_at = timestamptz '2025-07-01 03:30:00.000001'
WHERE order_id IN (SELECT order_id FROM swept);

-- Cart edits: buyers drop the last line of an open order placed today.
CREATE TEMP TABLE dropped ON COMMIT DROP AS
SELECT DISTINCT ON (i.order_id) i.order_id, i.line_no, i.quantity * i.unit_price - i.discount AS amount
FROM order_items i JOIN orders o USING (order_id)
WHERE o.status = 'pending' AND i.line_no > 1 AND i.order_id % 4 = 1
ORDER BY i.order_id, i.line_no DESC;
DELETE FROM order_items i USING dropped d WHERE i.order_id = d.order_id AND i.line_no = d.line_no;
UPDATE orders o SET subtotal = o.subtotal - d.amount, total = o.total - d.amount,
                    updated_at = o.placed_at + interval '10 minutes'
FROM dropped d WHERE o.order_id = d.order_id;

-- Sale prices: 15 % off ~1,800 active listings.
UPDATE listings SET price = round(price * 0.85, 2),
                    attributes = attributes || '{"promo": "summer-sale ☀"}',
                    updated_at = timestamptz '2025-07-01 00:00:00.123456' + (listing_id % 60) * interval '1 second'
WHERE status = 'active' AND listing_id % 23 = 0 AND listing_id <= 46000;

-- Buyers edit their profiles.
UPDATE buyers SET email = 'new.' || email, marketing_opt_in = NOT marketing_opt_in,
                  updated_at = timestamptz '2025-07-01 10:00' + (buyer_id % 3600) * interval '1 second'
WHERE buyer_id % 200 = 13;

-- Abandoned drafts are cleaned up (their inventory events go with them: ON DELETE CASCADE).
DELETE FROM listings WHERE status = 'draft' AND listing_id % 10 < 3;
