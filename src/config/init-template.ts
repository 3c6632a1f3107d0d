/**
 * The commented starter `sluice.yml` that `sluice init` writes. A test checks that it validates
 * as written and with every commented-out setting switched on.
 */
export const INIT_TEMPLATE = `# Sluice project file. Every field is described in schema/sluice.schema.json.
# Values may use \${VAR} or \${VAR:-default} from the environment: keep passwords out of this
# file. Write $\${ for a literal "\${". Relative paths are relative to this file.
version: 1

# Where Sluice keeps run history and stream state: an embedded SQLite file by default, or a
# PostgreSQL URL (postgres://…) when several machines run syncs.
# control: sqlite:.sluice/control.db

connections:
  # A source: postgres://… (?schema= picks the schema) or sqlite:<path>.
  shop:
    url: postgres://app:\${SHOP_PASSWORD}@localhost:5432/shop?schema=public
  # A destination: Apache Iceberg tables under a directory.
  lake:
    url: lake:./lake

syncs:
  - from: shop # this sync is called shop-to-lake unless you set name:
    to: lake
    tables: all # or a list: [public.orders, customers]
    mode: full # full | incremental | cdc
    # disposition: replace # append | replace | merge (default: replace for full, append otherwise)
    # streams: # per-table overrides
    #   orders: { mode: incremental, cursor: updated_at, primaryKey: [id], disposition: merge }
`;
