"""Generated SKU tables (see rocelab.sonic.sku)."""
