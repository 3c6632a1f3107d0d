-- The Iceberg SQL catalog, in the shape of Iceberg's JDBC catalog (JdbcUtil, schema V1) and
-- pyiceberg's SqlCatalog, so other engines can use this database as their catalog too. One row
-- per table: the metadata file that is the table's current state. `catalog_name` is the lake
-- root URL, so one control database can hold several lakes. Commits are compare-and-swap:
-- UPDATE … WHERE metadata_location = <the location the commit was based on>. Columns are TEXT
-- (portable; JDBC readers accept it where Java writes VARCHAR).
CREATE TABLE iceberg_tables (
  catalog_name TEXT NOT NULL,
  table_namespace TEXT NOT NULL,
  table_name TEXT NOT NULL,
  metadata_location TEXT,
  previous_metadata_location TEXT,
  iceberg_type TEXT,
  PRIMARY KEY (catalog_name, table_namespace, table_name)
);

-- Namespace properties, as the JDBC catalog keeps them. Sluice writes none (a namespace exists
-- while it holds a table); the table is here so JDBC-catalog engines find the shape they expect.
CREATE TABLE iceberg_namespace_properties (
  catalog_name TEXT NOT NULL,
  namespace TEXT NOT NULL,
  property_key TEXT NOT NULL,
  property_value TEXT,
  PRIMARY KEY (catalog_name, namespace, property_key)
);
