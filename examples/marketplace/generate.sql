-- Fills the marketplace (schema.sql) entirely in-database: 5,000 sellers, 50,000 listings,
-- 200,000 buyers, 1,000,000 orders with about 2.8 million order items, and 1,000,000 inventory
-- events, then adds the keys. Deterministic: the same seed gives the same rows,
-- because every random() call sits in a subquery over generate_series, which PostgreSQL
-- evaluates in series order whatever join plan it picks above it.
-- Orders span 2023-01-01 .. 2025-06-30 with ids rising with time; changes.sql adds 2025-07-01.

SET TimeZone = 'UTC';
-- The order totals aggregate 2.8 M items into 1 M groups: keep that hash table in memory.
SET work_mem = '1GB';
SELECT setseed(0.20250701);

INSERT INTO sellers
SELECT s,
       (ARRAY['Atelier', 'Maison', 'Studio', 'Casa', 'Haus', '"Ace"', 'O''Brien''s', 'Nordic', 'Tōkyō', 'Café'])[p1]
         || ' ' || (ARRAY['Goods', 'Crafts', 'Vintage', 'Supply', 'Déco', 'Workshop', 'Ceramics', 'Textiles',
                          'Bikes', 'Books'])[p2] || ' #' || s,
       'seller' || s || '@shops.example',
       (ARRAY['DE', 'FR', 'NL', 'GB', 'US', 'JP', 'ES', 'IT', 'SE', 'PL'])[p3],
       CASE WHEN r < 0.1 THEN NULL ELSE round((3 + r * 2)::numeric, 2) END,
       r > 0.4,
       joined,
       joined + offset_s * interval '1 second',
       joined + offset_s * interval '1 second' + r * interval '400 days'
FROM (SELECT s, 1 + floor(random() * 10)::int AS p1, 1 + floor(random() * 10)::int AS p2,
             1 + floor(random() * 10)::int AS p3, random() AS r,
             date '2018-01-01' + floor(random() * 2000)::int AS joined, floor(random() * 86400) AS offset_s
      FROM generate_series(1, 5000) s) g;

-- Listings 49,001 .. 50,000 are drafts that were never sold: changes.sql deletes some of them.
INSERT INTO listings
SELECT l, seller_id,
       (ARRAY['Handmade', 'Vintage', 'Organic', 'Limited', 'Classic', 'Große', 'Petite', 'Upcycled'])[p1] || ' '
         || (ARRAY['ceramic mug', 'linen shirt', 'oak stool', 'wool scarf', 'brass lamp', 'city bike',
                   'notebook', 'teapot', 'poster', 'tote bag'])[p2]
         || CASE WHEN r1 < 0.1 THEN ' — "Fjord" edition' WHEN r1 < 0.15 THEN ' (l''édition 日本)' ELSE '' END,
       CASE WHEN r2 < 0.15 THEN NULL WHEN r2 < 0.2 THEN ''
            ELSE 'Ships in ' || (1 + floor(r2 * 9)::int) || ' days.' || E'\n' || 'Care: hand wash; no bleach.' END,
       (ARRAY['kitchen', 'fashion', 'furniture', 'fashion', 'lighting', 'sports', 'stationery', 'kitchen', 'art',
              'fashion'])[p2],
       round((2 + r3 * r3 * 998)::numeric, 2),
       (ARRAY['EUR', 'EUR', 'EUR', 'USD', 'GBP', 'JPY'])[1 + floor(r4 * 6)::int],
       CASE WHEN l > 49000 THEN 'draft' WHEN r4 < 0.05 THEN 'paused' WHEN r4 < 0.12 THEN 'sold_out' ELSE 'active' END,
       jsonb_build_object(
         'color', (ARRAY['red', 'blue', 'green', 'black', 'white', 'ochre', 'bleu nuit'])[1 + floor(r1 * 7)::int],
         'weight_g', 50 + floor(r3 * 5000)::int,
         'handmade', r2 > 0.5,
         'tags', jsonb_build_array('new', CASE WHEN r1 > 0.8 THEN 'gift idea' ELSE 'bestseller' END)
       ) || CASE WHEN r2 > 0.9 THEN jsonb_build_object('origin', 'Kyōto 京都') ELSE '{}' END,
       r1 > 0.97,
       created_at,
       created_at + r2 * interval '300 days'
FROM (SELECT l, 1 + floor(random() * 5000)::bigint AS seller_id, 1 + floor(random() * 8)::int AS p1,
             1 + floor(random() * 10)::int AS p2, random() AS r1, random() AS r2, random() AS r3, random() AS r4,
             timestamptz '2022-01-01' + random() * interval '1200 days' AS created_at
      FROM generate_series(1, 50000) l) g;

INSERT INTO buyers
SELECT b,
       md5('buyer-' || b)::uuid,
       lower(translate(first_name || '.' || last_name, ' ''', '')) || b || '@' ||
         (ARRAY['mail.example', 'post.example', 'inbox.example'])[1 + b % 3],
       first_name || ' ' || last_name,
       (ARRAY['DE', 'FR', 'NL', 'GB', 'US', 'JP', 'ES', 'IT', 'SE', 'PL'])[1 + floor(r * 10)::int],
       r < 0.35,
       CASE WHEN r2 < 0.3 THEN NULL ELSE date '1950-01-01' + floor(r2 * 20000)::int END,
       created_at,
       created_at + r * interval '500 days'
FROM (SELECT b,
             (ARRAY['Ana', 'Zoë', 'José', 'Søren', 'Łukasz', 'Mei', 'Aoife', 'Noah', 'Fatima', 'Björn', 'Chloé',
                    'Dmitri'])[1 + floor(random() * 12)::int] AS first_name,
             (ARRAY['O''Brien', 'Müller', 'Nguyễn', 'García', 'Dvořák', 'Smith', 'Rossi', 'Yamada 山田', 'Kowalski',
                    'de la Cruz'])[1 + floor(random() * 10)::int] AS last_name,
             random() AS r, random() AS r2,
             timestamptz '2020-01-01' + random() * interval '2000 days' AS created_at
      FROM generate_series(1, 200000) b) g;

-- Statistics for the join below: without them the planner expects an empty table and sorts
-- 2.8 M rows to merge-join them.
ANALYZE listings;

-- 1 to 5 lines per order (2.8 on average); the WHEN o > 0 makes the series depend on the order,
-- so PostgreSQL draws a new count for every order instead of one for all.
INSERT INTO order_items
SELECT i.order_id, i.line_no, i.listing_id, i.quantity, l.price,
       CASE WHEN i.r < 0.1 THEN round(l.price * 0.1, 2) ELSE 0 END
FROM (SELECT o AS order_id, n AS line_no, 1 + floor(random() * 49000)::bigint AS listing_id,
             CASE WHEN random() < 0.8 THEN 1 ELSE 2 + floor(random() * 3)::int END AS quantity, random() AS r
      FROM generate_series(1, 1000000) o,
           generate_series(1, CASE WHEN o > 0 THEN (ARRAY[1, 1, 2, 2, 3, 3, 3, 4, 4, 5])[1 + floor(random() * 10)::int] END) n
     ) i
JOIN listings l USING (listing_id);

-- Status follows age: the last days' orders are still open, older ones delivered, a few
-- cancelled or refunded. placed_at rises with order_id, as ids from a sequence do.
INSERT INTO orders
SELECT g.o, g.buyer_id,
       CASE WHEN g.r < 0.04 THEN 'cancelled' WHEN g.r < 0.05 THEN 'refunded'
            WHEN g.age_days < 1 THEN 'pending' WHEN g.age_days < 2 THEN 'paid'
            WHEN g.age_days < 5 THEN 'shipped' ELSE 'delivered' END AS status,
       g.currency, t.subtotal, g.shipping_fee, t.subtotal + g.shipping_fee,
       g.coupon_code, g.is_gift,
       CASE WHEN g.is_gift AND g.r2 < 0.5 THEN (ARRAY['Happy birthday!', 'Joyeux anniversaire 🎂',
            'For you — with love', 'お誕生日おめでとう', 'Don''t open before Sunday'])[1 + floor(g.r2 * 10)::int] END,
       g.placed_at,
       CASE WHEN g.r >= 0.04 AND g.age_days >= 1 THEN g.placed_at + g.r2 * interval '2 hours' END,
       CASE WHEN g.r >= 0.05 AND g.age_days >= 2 THEN g.placed_at + interval '1 day' + g.r2 * interval '1 day' END,
       CASE WHEN g.r >= 0.05 AND g.age_days >= 5 THEN (g.placed_at + interval '3 days' + g.r2 * interval '3 days')::date END,
       g.placed_at + LEAST(g.age_days, 6) * interval '1 day'
FROM (SELECT o, 1 + floor(random() * 200000)::bigint AS buyer_id, random() AS r, random() AS r2,
             (ARRAY['EUR', 'EUR', 'EUR', 'USD', 'GBP'])[1 + floor(random() * 5)::int] AS currency,
             (ARRAY[0, 0, 4.90, 4.90, 9.90, 14.50])[1 + floor(random() * 6)::int]::numeric(12,2) AS shipping_fee,
             CASE WHEN random() < 0.08 THEN 'SAVE' || (5 + floor(random() * 4)::int * 5) END AS coupon_code,
             random() < 0.06 AS is_gift,
             timestamptz '2023-01-01' + (o - 1) * interval '78.7 seconds' + random() * interval '60 seconds'
               AS placed_at,
             -- days before 2025-07-01, give or take the minute of jitter
             (1000000 - o) * 78.7::float8 / 86400 AS age_days
      FROM generate_series(1, 1000000) o
     ) g
JOIN (SELECT order_id, sum(quantity * unit_price - discount) AS subtotal FROM order_items GROUP BY order_id) t
  ON t.order_id = g.o;

INSERT INTO inventory_events
SELECT e, listing_id,
       CASE WHEN r < 0.7 THEN 'sale' WHEN r < 0.9 THEN 'restock' WHEN r < 0.97 THEN 'adjustment' ELSE 'return' END,
       CASE WHEN r < 0.7 THEN -1 - floor(r2 * 3)::int WHEN r < 0.9 THEN 10 + floor(r2 * 90)::int
            WHEN r < 0.97 THEN floor(r2 * 11)::int - 5 ELSE 1 END,
       timestamptz '2023-01-01' + (e - 1) * interval '78.7 seconds' + r2 * interval '60 seconds',
       CASE WHEN r < 0.7 THEN NULL WHEN r < 0.9 THEN 'PO-' || lpad((e % 100000)::text, 6, '0')
            WHEN r < 0.97 THEN (ARRAY['stock count', 'damaged in transit — écrasé', 'found in "back room"'])[1 + e % 3]
            ELSE '' END
FROM (SELECT e, 1 + floor(random() * 50000)::bigint AS listing_id, random() AS r, random() AS r2
      FROM generate_series(1, 1000000) e) g;

ALTER TABLE sellers ADD PRIMARY KEY (seller_id);
ALTER TABLE listings ADD PRIMARY KEY (listing_id);
ALTER TABLE buyers ADD PRIMARY KEY (buyer_id);
ALTER TABLE orders ADD PRIMARY KEY (order_id);
ALTER TABLE order_items ADD PRIMARY KEY (order_id, line_no);
ALTER TABLE inventory_events ADD PRIMARY KEY (event_id);
ALTER TABLE buyers ADD UNIQUE (external_ref);
ALTER TABLE listings ADD FOREIGN KEY (seller_id) REFERENCES sellers;
ALTER TABLE orders ADD FOREIGN KEY (buyer_id) REFERENCES buyers;
ALTER TABLE order_items ADD FOREIGN KEY (order_id) REFERENCES orders ON DELETE CASCADE;
ALTER TABLE order_items ADD FOREIGN KEY (listing_id) REFERENCES listings;
ALTER TABLE inventory_events ADD FOREIGN KEY (listing_id) REFERENCES listings ON DELETE CASCADE;
CREATE INDEX orders_updated_at ON orders (updated_at);
-- Foreign-key columns are indexed, or every deleted listing scans the millions of lines and events.
CREATE INDEX order_items_listing_id ON order_items (listing_id);
CREATE INDEX inventory_events_listing_id ON inventory_events (listing_id);
-- Run VACUUM ANALYZE afterwards, outside this script's transaction (load-marketplace.ts does).
