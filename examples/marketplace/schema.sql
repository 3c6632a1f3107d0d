-- The operational database of an online marketplace: the source the demo syncs into the lake.
-- Tables only; generate.sql adds the primary keys, foreign keys and indexes after the bulk load
-- (building an index once is far faster than maintaining it row by row during the insert).

CREATE TABLE sellers (
  seller_id      bigint      NOT NULL,
  display_name   text        NOT NULL,
  email          text        NOT NULL,
  country_code   text        NOT NULL,
  rating         numeric(3,2),              -- NULL until the first review
  is_verified    boolean     NOT NULL DEFAULT false,
  joined_on      date        NOT NULL,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL
);

CREATE TABLE listings (
  listing_id     bigint        NOT NULL,
  seller_id      bigint        NOT NULL,
  title          text          NOT NULL,
  description    text,
  category       text          NOT NULL,
  price          numeric(12,2) NOT NULL CHECK (price >= 0),
  currency       text          NOT NULL,
  status         text          NOT NULL CHECK (status IN ('draft', 'active', 'paused', 'sold_out')),
  attributes     jsonb         NOT NULL DEFAULT '{}',
  is_featured    boolean       NOT NULL DEFAULT false,
  created_at     timestamptz   NOT NULL,
  updated_at     timestamptz   NOT NULL
);

CREATE TABLE buyers (
  buyer_id          bigint      NOT NULL,
  external_ref      uuid        NOT NULL,
  email             text        NOT NULL,
  display_name      text        NOT NULL,
  country_code      text        NOT NULL,
  marketing_opt_in  boolean     NOT NULL,
  birth_date        date,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL
);

CREATE TABLE orders (
  order_id       bigint        NOT NULL,
  buyer_id       bigint        NOT NULL,
  status         text          NOT NULL
                 CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded')),
  currency       text          NOT NULL,
  subtotal       numeric(12,2) NOT NULL,
  shipping_fee   numeric(12,2) NOT NULL,
  total          numeric(12,2) NOT NULL,
  coupon_code    text,
  is_gift        boolean       NOT NULL,
  gift_message   text,
  placed_at      timestamptz   NOT NULL,
  paid_at        timestamptz,
  shipped_at     timestamptz,
  delivery_date  date,
  updated_at     timestamptz   NOT NULL
);

CREATE TABLE order_items (
  order_id       bigint        NOT NULL,
  line_no        integer       NOT NULL,
  listing_id     bigint        NOT NULL,
  quantity       integer       NOT NULL CHECK (quantity > 0),
  unit_price     numeric(12,2) NOT NULL,
  discount       numeric(12,2) NOT NULL DEFAULT 0
);

CREATE TABLE inventory_events (
  event_id       bigint      NOT NULL,
  listing_id     bigint      NOT NULL,
  event_type     text        NOT NULL CHECK (event_type IN ('restock', 'sale', 'adjustment', 'return')),
  quantity_delta integer     NOT NULL,
  occurred_at    timestamptz NOT NULL,
  note           text
);
