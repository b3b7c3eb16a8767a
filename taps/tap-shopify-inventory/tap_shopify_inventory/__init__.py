"""Singer tap for Shopify inventory, built with the Meltano Singer SDK."""
